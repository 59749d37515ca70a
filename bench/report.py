"""Report speed: `sviml report --format md --out x.md` over 1,000 pre-training runs x ~20 results each.

Run: `.venv/bin/python bench/report.py [--runs 1000]`. Fills a temporary SQLite registry (runs with
a resolved config of ~50 keys, results with full protocols), then times the command as a fresh
process (Python start and imports included), best of 3, as a user would feel it. Target: < 2 s.
Prints a Markdown table with the machine, the command and the date.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import best_of, bulk_insert, machine_line, print_table  # noqa: E402
from core.registry import Registry
from core.registry.tables import utcnow

# (task, dataset, kind, head, metrics): 10 + 1 + 3 + 4 + 2 = 20 results per run
RESULTS = (
    ("retrieval_zs", "synth-msrvtt", "msrvtt", "zero-shot",
     [f"{d}_{m}" for d in ("t2v", "v2t") for m in ("R@1", "R@5", "R@10", "MdR", "MnR")]),
    ("qa", "synth-msvd-qa", "msvd-qa", "fusion transformer (2 layers)", ["acc"]),
    ("action_linear", "synth-ucf", "ucf101", "linear probe", ["top1", "top5", "mean_class_acc"]),
    ("tal", "synth-anet", "activitynet", "G-TAD-style", ["mAP@0.50", "mAP@0.75", "mAP@0.95", "avg_mAP"]),
    ("grounding", "synth-msrvtt", "msrvtt", "zero-shot", ["group_object_iou", "noun_region_acc"]),
)


def resolved_config(i: int) -> dict:
    video = {"depth": 12, "width": 768, "heads": 12, "mlp_ratio": 4.0, "tubelet": [2, 16, 16], "frames": 32,
             "image_size": 224, "group_tokens": 32, "grouping_after": [6, 9, 12], "drop_path": 0.1}
    text = {"layers": 12, "width": 768, "heads": 12, "vocab_size": 30522, "max_len": 32, "pooling": "cls"}
    return {
        "description": "benchmark sweep",
        "model": {"preset": "base", "embed_dim": 256, "video": video, "text": text},
        "loss": {"w_contrast": 1.0, "w_ground": float(i % 2), "w_temporal": float(i % 3 > 0), "tau_t": 0.1,
                 "tau_g": 0.1, "nouns_per_caption": 2, "pool": "foreground"},
        "data": {"datasets": ["synth-pretrain"], "frames": 32, "image_size": 224, "num_workers": 8},
        "train": {"batch_size": 64, "micro_batch_size": 16, "max_steps": 10000, "warmup_steps": 500,
                  "lr": 1e-4 * (1 + i % 7), "weight_decay": 0.05, "zero_stage": 2, "precision": "bf16",
                  "save_every": 1000, "log_every": 10, "keep_last": 3, "seed": i % 5},
    }


def fill(registry: Registry, n_runs: int) -> None:
    start = utcnow()
    runs, results = [], []
    for i in range(n_runs):
        run_id = f"run{i:06d}"
        config = resolved_config(i)
        runs.append({
            "id": run_id, "name": f"sweep-{i}", "recipe": "pretrain", "config_name": "base", "config": config,
            "tags": {k: config["loss"][k] for k in ("w_contrast", "w_ground", "w_temporal")}, "seed": i % 5,
            "status": "finished", "step": 10000, "max_steps": 10000, "last_metrics": {"loss": 1.0},
            "created": start + timedelta(seconds=i), "world_size": 8, "git_dirty": False,
            "run_dir": f"/nonexistent/runs/{run_id}",
        })
        for task, dataset, kind, head, metrics in RESULTS:
            protocol = {"frames": 32, "views": 1, "split": "test", "annotation_hash": "f" * 64,
                        "checkpoint": f"/runs/{run_id}/checkpoints/step_0010000", "head": head, "head_run": None,
                        "dataset_kind": kind, "chance": 1.0}
            for k, metric in enumerate(metrics):
                results.append({"run_id": run_id, "task": task, "dataset": dataset, "split": "test",
                                "metric": metric, "value": float((i * 7 + k * 3) % 100), "n": 1000,
                                "protocol": protocol, "created": start})
    bulk_insert(registry, runs, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sviml-bench-report-"))
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, SVIML_HOME=str(home), PYTHONPATH=str(repo))
    try:
        registry = Registry(f"sqlite:///{home / 'sviml.db'}")
        fill(registry, args.runs)
        registry.close()
        sviml = [sys.executable, "-m", "sviml_cli", "report"]
        n_results = args.runs * sum(len(metrics) for *_, metrics in RESULTS)
        rows = [
            (f"`sviml report --format md --out x.md` ({args.runs:,} runs, {n_results:,} results)",
             best_of([*sviml, "--format", "md", "--out", str(home / "x.md")], env, repo), 2.0),
            (f"`sviml report --format csv --out x.csv` ({args.runs:,} runs)",
             best_of([*sviml, "--format", "csv", "--out", str(home / "x.csv")], env, repo), 2.0),
            (f"`sviml report --ablation --format md --out a.md` ({args.runs:,} runs)",
             best_of([*sviml, "--ablation", "--format", "md", "--out", str(home / "a.md")], env, repo), 2.0),
        ]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(machine_line(f".venv/bin/python bench/report.py --runs {args.runs}"))
    print_table(["what", "seconds (best of 3, process start included)", "target"],
                [(what, f"{seconds:.3f}", f"< {target}") for what, seconds, target in rows])


if __name__ == "__main__":
    main()
