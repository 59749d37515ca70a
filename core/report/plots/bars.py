"""Per-task bar charts across runs: one figure per task, one subplot per dataset/metric column.

The chance level (`protocol.chance` of the results) is a dotted line; the paper's number, on real
datasets only, a dashed one. Ablation tables draw their mean with the spread over seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.report.plots.common import MAX_RUNS, pyplot, run_color, safe_name, save
from core.report.table_model import MEASURED, PAPER_SOURCE, ReportTable


def chance_levels(results: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Column key -> chance level, from each result's `protocol.chance` (the last one seen wins)."""
    levels = {}
    for result in results:
        chance = (result.get("protocol") or {}).get("chance")
        if isinstance(chance, int | float):
            levels[f"{result['task']}/{result['dataset']}/{result['metric']}"] = float(chance)
    return levels


def plot_task_bars(table: ReportTable, chance: Mapping[str, float], out_dir: Path) -> list[Path]:
    """`bars_<task>.png` for each task with measured numbers."""
    measured = [row for row in table.rows if row.source == MEASURED][:MAX_RUNS]
    paper = [row for row in table.rows if row.source == PAPER_SOURCE]
    written = []
    plt = pyplot()
    for group in table.groups:
        columns = [c for c in group.columns if c.source == MEASURED and any(c.key in row.cells for row in measured)]
        if not columns:
            continue
        fig, axes = plt.subplots(1, len(columns), figsize=(max(3.2, 0.55 * len(measured) + 1.6) * len(columns), 3.8),
                                 squeeze=False, layout="constrained")
        for ax, column in zip(axes[0], columns, strict=True):
            rows = [row for row in measured if column.key in row.cells]
            values = [row.cells[column.key].value for row in rows]
            errors = [row.cells[column.key].std or 0.0 for row in rows]
            colors = [run_color(measured.index(row)) for row in rows]
            ax.bar(range(len(rows)), values, color=colors, yerr=errors if any(errors) else None, capsize=3)
            ax.set_xticks(range(len(rows)), [row.label for row in rows], rotation=35, ha="right", fontsize="small")
            if column.key in chance:
                ax.axhline(chance[column.key], color="gray", linestyle=":", label="chance")
            if not column.synthetic:
                for row in paper:
                    if column.key in row.cells:
                        ax.axhline(row.cells[column.key].value, linestyle="--", color="black", linewidth=1,
                                   label=row.label)
            arrow = " (lower is better)" if column.lower_is_better else ""
            ax.set_title(f"{column.dataset_label}\n{column.metric}{arrow}", fontsize="medium")
            ax.grid(axis="y", alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="x-small")
        fig.suptitle(f"{group.task}: {group.title}")
        written.append(save(fig, out_dir / f"bars_{safe_name(group.task)}.png"))
    return written
