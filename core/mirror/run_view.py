"""A run as other tools see it: flat parameters, named result metrics with their steps, training scalars.

Metric names follow the TensorBoard convention `split/name`: results are `eval/<task>/<dataset>/<metric>`
(`eval/retrieval_zs/synth-msrvtt/t2v_R@1`), the run's last logged training values `final/<name>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.report.config_diff import flatten_config

ParamValue = str | int | float | bool


@dataclass(frozen=True)
class MetricPoint:
    name: str
    value: float
    step: int
    timestamp_s: float


def params_of(config: Mapping[str, Any]) -> dict[str, ParamValue]:
    """The config as flat `section.key` parameters; lists and nulls as JSON text (tools take scalars only)."""
    params: dict[str, ParamValue] = {}
    for key, value in flatten_config(config).items():
        if isinstance(value, bool | int | float | str):
            params[key] = value
        else:
            params[key] = json.dumps(value, separators=(",", ":"), default=str)
    return params


def result_metrics(results: Iterable[Mapping[str, Any]], checkpoint_steps: Mapping[int, int],
                   default_step: int) -> list[MetricPoint]:
    """Result rows as metric points at the step of the checkpoint they evaluate (else `default_step`)."""
    points = []
    for row in results:
        step = checkpoint_steps.get(row["checkpoint_id"], default_step) if row.get("checkpoint_id") else default_step
        points.append(MetricPoint(f"eval/{row['task']}/{row['dataset']}/{row['metric']}", float(row["value"]), step,
                                  row["created"].timestamp()))
    return points


def final_metrics(last_metrics: Mapping[str, Any] | None, step: int, timestamp_s: float) -> list[MetricPoint]:
    """The run's last logged training values (losses, lr, ...) as `final/<name>` at its last step."""
    return [MetricPoint(f"final/{key}", float(value), step, timestamp_s)
            for key, value in (last_metrics or {}).items()
            if isinstance(value, int | float) and not isinstance(value, bool)]


def training_scalars(run_dir: Path) -> dict[str, list[tuple[int, float, float]]]:
    """`tag -> [(step, value, wall time)]` of the run's training log (`<run_dir>/tb`, not its subfolders)."""
    tb_dir = run_dir / "tb"
    if not tb_dir.is_dir():
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(tb_dir), size_guidance={"scalars": 0})  # 0: every point
    accumulator.Reload()
    return {tag: [(event.step, event.value, event.wall_time) for event in accumulator.Scalars(tag)]
            for tag in accumulator.Tags().get("scalars", [])}
