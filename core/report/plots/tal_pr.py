"""Temporal action localization precision-recall curves, from `details.pr` of `eval/tal.json`.

`pr` maps a tIoU threshold ("0.50") to `{"precision": [...], "recall": [...]}`. One figure per
dataset, one subplot per threshold (at most four: 0.50, 0.75, 0.95 first), one line per run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from core.report.plots.common import MAX_RUNS, EvalEntry, pyplot, run_color, safe_name, save_panel_row

PREFERRED = ("0.50", "0.75", "0.95")


def _curves(entry: EvalEntry) -> dict[str, tuple[list[float], list[float]]]:
    pr = entry.details.get("pr")
    if not isinstance(pr, dict):
        return {}
    curves = {}
    for threshold, curve in pr.items():
        try:
            precision, recall = list(curve["precision"]), list(curve["recall"])
        except (KeyError, TypeError):
            continue
        if precision and len(precision) == len(recall):
            curves[str(threshold)] = (recall, precision)
    return curves


def plot_tal_pr(entries: Sequence[EvalEntry], out_dir: Path, run_order: Sequence[str] = ()) -> list[Path]:
    """`tal_pr_<dataset>.png` per TAL dataset with curves."""
    by_dataset: dict[str, list[tuple[EvalEntry, dict]]] = defaultdict(list)
    for entry in entries:
        curves = _curves(entry) if entry.task == "tal" else {}
        if curves:
            by_dataset[entry.dataset].append((entry, curves))
    written = []
    plt = pyplot()
    for dataset, items in sorted(by_dataset.items()):
        items = items[:MAX_RUNS]
        thresholds = sorted({t for _, curves in items for t in curves}, key=float)
        shown = [t for t in PREFERRED if t in thresholds] or thresholds
        shown = (shown + [t for t in thresholds if t not in shown])[:4]
        fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.4), squeeze=False, layout="constrained")
        for ax, threshold in zip(axes[0], sorted(shown, key=float), strict=True):
            for entry, curves in items:
                if threshold in curves:
                    index = list(run_order).index(entry.run.id) if entry.run.id in run_order else 0
                    recall, precision = curves[threshold]
                    ax.plot(recall, precision, color=run_color(index), label=entry.run.label)
            ax.set_title(f"tIoU {threshold}")
            ax.set_xlabel("recall")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
        written.append(save_panel_row(fig, axes, "precision", f"temporal action localization precision-recall: "
                                      f"{dataset}", out_dir / f"tal_pr_{safe_name(dataset)}.png"))
    return written
