"""Time to mirror 100 runs into a local MLflow store, the first time and again (an update).

Run: `.venv/bin/python bench/mlflow_export.py [--runs 100] [--steps 100]`. Each run has 20 results,
7 TensorBoard scalars logged at `--steps` steps and an export folder (a 1 MB weights file); the
export is `sviml export mlflow --tracking-uri URI` in a fresh process (start and imports included),
into a SQLite store and into a file store. Needs the mlflow extra.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import machine_line, print_table  # noqa: E402
from core.registry import Registry, Run  # noqa: E402
from core.registry.tables import utcnow  # noqa: E402

TAGS = ("train/loss", "train/loss_contrast", "train/loss_ground", "train/loss_temporal", "train/lr",
        "train/grad_norm", "perf/clips_per_s")


def fill(home: Path, n_runs: int, steps: int) -> None:
    from torch.utils.tensorboard import SummaryWriter

    registry = Registry(f"sqlite:///{home / 'sviml.db'}")
    start = utcnow() - timedelta(days=1)
    for i in range(n_runs):
        run_id = f"run{i:04d}"
        run_dir = home / "train" / run_id
        writer = SummaryWriter(str(run_dir / "tb"))
        for step in range(1, steps + 1):
            for k, tag in enumerate(TAGS):
                writer.add_scalar(tag, 1.0 / (step + k), step)
        writer.close()
        (run_dir / "export").mkdir(parents=True)
        (run_dir / "export" / "model.safetensors").write_bytes(os.urandom(1 << 20))
        (run_dir / "export" / "config.json").write_text("{}")
        registry.create_run(Run(id=run_id, name=f"sweep-{i}", recipe="pretrain", config_name="small", status="finished",
                                created=start + timedelta(seconds=i), step=steps, run_dir=str(run_dir),
                                tags={"sweep": "lr", "w_ground": 1.0}, last_metrics={"loss": 2.0},
                                config={"train": {"lr": 1e-4 * (1 + i % 7), "max_steps": steps}, "model": {"preset": "small"}}))
        registry.set_run_status(run_id, "finished")
        export = registry.add_checkpoint(run_id=run_id, tag="export", step=steps, path=str(run_dir / "export"),
                                         kind="export", complete=True)
        registry.add_results([{"run_id": run_id, "checkpoint_id": export.id, "task": "retrieval_zs", "dataset": "synth",
                               "split": "test", "metric": f"m{k}", "value": float(k)} for k in range(20)])
    registry.close()


def export(home: Path, uri: str) -> float:
    env = dict(os.environ, SVIML_HOME=str(home))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sviml_cli", "export", "mlflow", "--tracking-uri", uri], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sviml-mlflow-bench-"))
    fill(home, args.runs, args.steps)
    rows = []
    for store, uri in (("SQLite store", f"sqlite:///{home / 'mlflow.db'}"), ("file store", f"file://{home / 'mlruns'}")):
        first, again = export(home, uri), export(home, uri)
        rows.append((store, f"{first:.1f}", f"{first / args.runs * 1000:.0f}", f"{again:.1f}"))
    print(machine_line(f".venv/bin/python bench/mlflow_export.py --runs {args.runs} --steps {args.steps}"))
    print_table(["store", f"first export of {args.runs} runs, s", "ms per run", "second export (update), s"], rows)


if __name__ == "__main__":
    main()
