"""`sviml runs compare A B ...`: what differs between runs, side by side.

Three parts: the config keys whose values differ (only those), every result the runs share a
metric for with its delta against the first run, and the training loss curves from each run's
TensorBoard log (drawn as sparklines on common bounds, or as a plot file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.report.config_diff import differing_keys, show_value
from core.report.known_metrics import metric_order, task_order
from core.report.plots.losses import LOSS_TAGS, read_scalars

if TYPE_CHECKING:
    from core.registry import Registry
    from core.registry.sqlite_read import SqliteReader

Curve = tuple[list[int], list[float]]


@dataclass
class Comparison:
    runs: list[dict[str, Any]]  # run records with `config` and `run_dir`, in the order asked
    config: list[tuple[str, list[str]]] = field(default_factory=list)  # key, shown value per run
    results: list[tuple[str, list[float | None]]] = field(default_factory=list)  # task/dataset/metric, values
    curves: dict[str, list[Curve | None]] = field(default_factory=dict)  # TensorBoard tag -> curve per run


def _results(reader: SqliteReader | Registry, ids: list[str]) -> list[tuple[str, list[float | None]]]:
    values: dict[tuple[str, str, str], dict[str, float]] = {}
    for row in reader.query_results(run_ids=ids):
        values.setdefault((row["task"], row["dataset"], row["metric"]), {})[row["run_id"]] = row["value"]
    order = sorted(values, key=lambda k: (task_order(k[0]), k[1], metric_order(k[0], k[2])))
    return [("/".join(key), [values[key].get(run_id) for run_id in ids]) for key in order]


def compare_runs(reader: SqliteReader | Registry, run_ids: Sequence[str]) -> Comparison:
    """The comparison of two or more runs (unknown ids are a `UserError`)."""
    ids = list(dict.fromkeys(run_ids))
    if len(ids) < 2:
        raise UserError("compare needs at least two different run ids")
    records = {run["id"]: run for run in reader.run_records()}
    missing = [run_id for run_id in ids if run_id not in records]
    if missing:
        raise UserError(f"no run with id {missing[0]!r} (see `sviml runs ls`)")
    details = {detail["id"]: detail for detail in reader.run_details(ids)}
    runs = [{**records[run_id], **details[run_id]} for run_id in ids]
    keys, flat = differing_keys([run.get("config") or {} for run in runs])
    missing_value = object()
    config = [(key, ["" if f.get(key, missing_value) is missing_value else show_value(f[key]) for f in flat])
              for key in keys]
    curves: dict[str, list[Curve | None]] = {tag: [] for tag in LOSS_TAGS}
    for run in runs:
        found = read_scalars(Path(run["run_dir"]) / "tb", LOSS_TAGS) if run.get("run_dir") else {}
        for tag in LOSS_TAGS:
            curves[tag].append(found.get(tag))
    curves = {tag: per_run for tag, per_run in curves.items() if any(per_run)}
    return Comparison(runs=runs, config=config, results=_results(reader, ids), curves=curves)


def delta(value: float | None, base: float | None) -> float | None:
    return None if value is None or base is None else value - base
