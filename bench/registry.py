"""Registry speed: `sviml runs ls --json` and a results query over 10,000 runs x 20 results.

Run: `.venv/bin/python bench/registry.py [--runs 10000] [--results 20]`. Times are wall-clock of a
fresh process each (Python start and imports included), best of 3, as a user would feel them.
Targets: runs ls under 0.5 s, the results query under 2 s, `sviml --help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import best_of, bulk_insert, machine_line, print_table  # noqa: E402
from core.registry import Registry
from core.registry.tables import utcnow

QUERY = (
    "from core.registry import open_reader; from core.settings import Settings; "
    "rows = open_reader(Settings().database_url).query_results(); print(len(rows))"
)


def fill(registry: Registry, n_runs: int, n_results: int) -> None:
    start = utcnow()
    runs = [
        {"id": f"run{i:06d}", "name": f"sweep-{i}", "recipe": "pretrain", "config_name": "small",
         "config": {"train": {"lr": 1e-4 * (1 + i % 7)}}, "status": "finished", "step": 1000, "max_steps": 1000,
         "last_metrics": {"loss": 1.0 / (1 + i)}, "created": start + timedelta(seconds=i), "world_size": 1,
         "git_dirty": False, "tags": {}}
        for i in range(n_runs)
    ]
    results = [
        {"run_id": f"run{i:06d}", "task": "retrieval", "dataset": "synth-msrvtt", "split": "test",
         "metric": f"metric{k}", "value": float(k), "n": 100, "protocol": {"frames": 8}, "created": start}
        for i in range(n_runs) for k in range(n_results)
    ]
    bulk_insert(registry, runs, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--results", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sviml-bench-"))
    env = dict(os.environ, SVIML_HOME=str(home))
    registry = Registry(f"sqlite:///{home / 'sviml.db'}")
    fill(registry, args.runs, args.results)
    registry.close()
    sviml = [sys.executable, "-m", "sviml_cli"]
    rows = [
        ("`sviml --help`", best_of([*sviml, "--help"], env), 0.5),
        (f"`sviml runs ls --json` ({args.runs:,} runs)", best_of([*sviml, "runs", "ls", "--json"], env), 0.5),
        (f"results query ({args.runs * args.results:,} rows)", best_of([sys.executable, "-c", QUERY], env), 2.0),
    ]
    print(machine_line(".venv/bin/python bench/registry.py"))
    print_table(["what", "seconds (best of 3, process start included)", "target"],
                [(what, f"{seconds:.3f}", f"< {target}") for what, seconds, target in rows])


if __name__ == "__main__":
    main()
