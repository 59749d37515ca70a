"""Evaluation results in each run's TensorBoard log, and the run in TensorBoard's HParams dashboard.

`<run_dir>/tb/eval/` holds one event file, rewritten whole from the registry each time (after every
`sviml eval`, and by `sviml export tensorboard`): every result as a scalar `eval/<task>/<dataset>/
<metric>` at the evaluated checkpoint's step, the run's last training values as `final/<name>`, and
an HParams session whose parameters are the run's flattened config (plus name, recipe and tags) and
whose metrics are those scalars. `tensorboard --logdir <home>` then lists every run in its HParams
dashboard. Training scalars stay where the trainer writes them (`<run_dir>/tb/`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.mirror.run_view import MetricPoint, ParamValue, final_metrics, params_of, result_metrics

if TYPE_CHECKING:
    from core.registry import Registry

EVAL_FOLDER = "eval"


def hparams_of(run: Mapping[str, Any]) -> dict[str, ParamValue]:
    """The HParams columns of a run: name, recipe, config name, tags (`tag.<key>`) and its config."""
    values: dict[str, ParamValue] = {"run.name": run.get("name") or run["id"], "run.recipe": run["recipe"],
                                     "run.config": run.get("config_name") or ""}
    for key, value in (run.get("tags") or {}).items():
        values[f"tag.{key}"] = value if isinstance(value, bool | int | float | str) else str(value)
    values.update(params_of(run.get("config") or {}))
    return values


def write_run_results(run: Mapping[str, Any], results: Sequence[Mapping[str, Any]],
                      checkpoint_steps: Mapping[int, int]) -> Path | None:
    """Rewrite `<run_dir>/tb/eval/` from `run` (a run record with config, tags, last metrics, step) and its
    result rows; returns the folder, or None for a run without a folder."""
    if not run.get("run_dir"):
        return None
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    tb_dir = Path(run["run_dir"]) / "tb"
    ended = run.get("ended") or run.get("heartbeat") or run["created"]
    points: list[MetricPoint] = [*result_metrics(results, checkpoint_steps, run.get("step") or 0),
                                 *final_metrics(run.get("last_metrics"), run.get("step") or 0, ended.timestamp())]
    # Written beside, then swapped in: a reader sees the old view or the new one.
    fresh = tb_dir / f".{EVAL_FOLDER}.{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    writer = SummaryWriter(log_dir=str(fresh))
    try:
        for point in points:
            writer.add_scalar(point.name, point.value, point.step, walltime=point.timestamp_s)
        experiment, start, end = hparams(hparams_of(run), {point.name: point.value for point in points})
        for summary in (experiment, start, end):
            writer.file_writer.add_summary(summary)
    finally:
        writer.close()
    target = tb_dir / EVAL_FOLDER
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    return target


def mirror_runs(registry: Registry, run_ids: Sequence[str]) -> list[Path]:
    """Rewrite the TensorBoard results view of each run (runs without a folder are skipped)."""
    written = []
    for run_id in run_ids:
        run = registry.require_run(run_id).model_dump()
        steps = {checkpoint.id: checkpoint.step for checkpoint in registry.list_checkpoints(run_id)
                 if checkpoint.id is not None}
        folder = write_run_results(run, registry.query_results(run_ids=[run_id]), steps)
        if folder is not None:
            written.append(folder)
    return written
