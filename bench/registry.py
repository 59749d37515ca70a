"""Registry speed over 10,000 runs x 20 results: `runs ls`, `runs ls --tag`, a results query, `gc`.

Run: `.venv/bin/python bench/registry.py [--runs 10000] [--results 20]`. Times are wall-clock of a
fresh process each (Python start and imports included), best of 3, as a user would feel them.
Targets: runs ls and `runs ls --tag k=v` under 0.5 s, the results query and `gc` (a dry run) under
2 s, `sviml --help` under 0.5 s.

Every run has a folder with two registered checkpoints (its `keep_last`) and an export on disk, like
a real home; the garbage `gc` finds is a small part of it: every 100th run has a third checkpoint,
and there are 50 folders without a row and 20 rows without a folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import best_of_with_cpu, bulk_insert, machine_line, print_table  # noqa: E402
from core.registry import Registry
from core.registry.tables import utcnow

QUERY = (
    "from core.registry import open_reader; from core.settings import Settings; "
    "rows = open_reader(Settings().database_url).query_results(); print(len(rows))"
)


def fill(registry: Registry, n_runs: int, n_results: int, home: Path) -> None:
    start = utcnow() - timedelta(days=1)
    runs = [
        {"id": f"run{i:06d}", "name": f"sweep-{i}", "recipe": "pretrain", "config_name": "small",
         "config": {"train": {"lr": 1e-4 * (1 + i % 7), "keep_last": 2}}, "status": "finished", "step": 1000,
         "max_steps": 1000, "last_metrics": {"loss": 1.0 / (1 + i)}, "created": start + timedelta(seconds=i),
         "world_size": 1, "git_dirty": False, "tags": {"sweep": f"s{i % 100}", "w_ground": float(i % 2)},
         "run_dir": str(home / "train" / f"run{i:06d}")}
        for i in range(n_runs)
    ]
    results = [
        {"run_id": f"run{i:06d}", "task": "retrieval", "dataset": "synth-msrvtt", "split": "test",
         "metric": f"metric{k}", "value": float(k), "n": 100, "protocol": {"frames": 8}, "created": start}
        for i in range(n_runs) for k in range(n_results)
    ]
    checkpoints = []
    for i, run in enumerate(runs):
        run_dir = Path(run["run_dir"])
        if i % 500 == 7:  # rows whose folder is gone
            continue
        for step in (250, 500, 1000) if i % 100 == 3 else (500, 1000):
            folder = run_dir / "checkpoints" / f"step_{step:07d}"
            folder.mkdir(parents=True)
            (folder / "MANIFEST.json").write_text("{}")
            checkpoints.append({"run_id": run["id"], "tag": folder.name, "step": step, "path": str(folder),
                                "kind": "deepspeed", "complete": True, "bytes": 1_000_000, "created": start})
        (run_dir / "export").mkdir()
        (run_dir / "export" / "model.safetensors").write_bytes(b"w")
        checkpoints.append({"run_id": run["id"], "tag": "export", "step": 1000, "path": str(run_dir / "export"),
                            "kind": "export", "complete": True, "bytes": 1, "created": start})
    hour_ago = time.time() - 3600
    for j in range(50):  # folders without a row
        orphan = home / "train" / f"orphan{j:03d}"
        orphan.mkdir(parents=True)
        os.utime(orphan, (hour_ago, hour_ago))
    bulk_insert(registry, runs, results, checkpoints)


def gc_items(env: dict[str, str]) -> list[object]:
    """What `gc --json` finds (checked once, outside the timing)."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-m", "sviml_cli", "gc", "--json"], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--results", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sviml-bench-"))
    env = dict(os.environ, SVIML_HOME=str(home))
    registry = Registry(f"sqlite:///{home / 'sviml.db'}")
    fill(registry, args.runs, args.results, home)
    registry.close()
    sviml = [sys.executable, "-m", "sviml_cli"]
    rows = [
        ("`sviml --help`", best_of_with_cpu([*sviml, "--help"], env), 0.5),
        (f"`sviml runs ls --json` ({args.runs:,} runs)", best_of_with_cpu([*sviml, "runs", "ls", "--json"], env), 0.5),
        (f"`sviml runs ls --tag sweep=s7 --json` ({args.runs // 100:,} of {args.runs:,} runs)",
         best_of_with_cpu([*sviml, "runs", "ls", "--tag", "sweep=s7", "--json"], env), 0.5),
        (f"`sviml runs ls --tag w_ground=0 --json` ({args.runs // 2:,} of {args.runs:,} runs)",
         best_of_with_cpu([*sviml, "runs", "ls", "--tag", "w_ground=0", "--json"], env), 0.5),
        (f"results query ({args.runs * args.results:,} rows)", best_of_with_cpu([sys.executable, "-c", QUERY], env), 2.0),
        (f"`sviml gc` dry run ({args.runs:,} runs, {len(gc_items(env))} items found)",
         best_of_with_cpu([*sviml, "gc"], env), 2.0),
    ]
    print(machine_line(".venv/bin/python bench/registry.py") + f"; load average {os.getloadavg()[0]:.1f}")
    print_table(["what", "wall s (best of 3, process start included)", "CPU s (user + system)", "target"],
                [(what, f"{wall:.3f}", f"{cpu:.3f}", f"< {target}") for what, (wall, cpu), target in rows])


if __name__ == "__main__":
    main()
