"""Report plots (matplotlib, Agg backend, PNG): loss curves, per-task bars, TAL precision-recall,
retrieval rank histograms, group-assignment maps. `write_plots` draws every kind whose input exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.report.plots.assignment import plot_assignment_maps
from core.report.plots.bars import chance_levels, plot_task_bars
from core.report.plots.common import EvalEntry, PlotRun, load_evals
from core.report.plots.losses import plot_loss_curves
from core.report.plots.ranks import plot_rank_histograms
from core.report.plots.tal_pr import plot_tal_pr
from core.report.table_model import MEASURED, ReportTable

__all__ = [
    "EvalEntry", "PlotRun", "chance_levels", "load_evals", "plot_assignment_maps", "plot_loss_curves",
    "plot_rank_histograms", "plot_tal_pr", "plot_task_bars", "plot_runs", "write_plots",
]


def plot_runs(table: ReportTable, runs: Sequence[Mapping[str, Any]]) -> list[PlotRun]:
    """The table's measured runs in row order, labelled as the table labels them."""
    labels = {row.key: row.label for row in table.rows if row.source == MEASURED}
    position = {key: i for i, key in enumerate(labels)}
    return [
        PlotRun(id=run["id"], label=labels.get(run["id"], run.get("name") or run["id"]),
                run_dir=Path(run["run_dir"]) if run.get("run_dir") else None)
        for run in sorted(runs, key=lambda r: position.get(r["id"], len(position)))
    ]


def write_plots(table: ReportTable, runs: Sequence[Mapping[str, Any]], results: Iterable[Mapping[str, Any]],
                out_dir: Path) -> list[Path]:
    """Every plot whose input exists, under `out_dir`; returns the files written."""
    out_dir = Path(out_dir)
    plot_list = plot_runs(table, runs)
    order = [run.id for run in plot_list]
    entries = load_evals(plot_list[:10])
    written = plot_loss_curves(plot_list, out_dir)
    written += plot_task_bars(table, chance_levels(results), out_dir)
    written += plot_tal_pr(entries, out_dir, order)
    written += plot_rank_histograms(entries, out_dir, order)
    written += plot_assignment_maps(entries, out_dir)
    return written
