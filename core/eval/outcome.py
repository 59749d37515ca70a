"""What an evaluator returns, and how it becomes registry rows and the run's eval JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class EvalOutcome:
    """The numbers of one task on one dataset, and how they were measured."""

    split: str
    metrics: dict[str, float]  # metric name -> value (percent; ranks stay ranks)
    n: int  # queries / videos / questions scored
    protocol: dict[str, Any]  # frames, views, split, head, ...
    chance: dict[str, float]  # metric -> its chance level
    details: dict[str, Any] = field(default_factory=dict)  # ranks, PR curves, ... for plots


def result_rows(run_id: str, checkpoint_id: int | None, task: str, dataset: str,
                outcome: EvalOutcome) -> list[dict[str, Any]]:
    return [
        {"run_id": run_id, "checkpoint_id": checkpoint_id, "task": task, "dataset": dataset,
         "split": outcome.split, "metric": metric, "value": float(value), "n": outcome.n,
         "protocol": {**outcome.protocol, "split": outcome.split, "chance": outcome.chance.get(metric)}}
        for metric, value in outcome.metrics.items()
    ]


def update_eval_json(eval_dir: Path, task: str, dataset: str, entry: dict[str, Any]) -> Path:
    """Merge one dataset's entry into `<eval_dir>/<task>.json` (atomic replace)."""
    eval_dir.mkdir(parents=True, exist_ok=True)
    path = eval_dir / f"{task}.json"
    data = {"task": task, "datasets": {}}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            pass  # a damaged file from an older crash: rewritten whole
    data.setdefault("datasets", {})[dataset] = entry
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float))
    tmp.replace(path)
    return path
