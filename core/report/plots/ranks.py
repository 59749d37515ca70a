"""Retrieval rank histograms, from `details.ranks_t2v` / `ranks_v2t` of the retrieval eval JSON.

`ranks_t2v` is the 1-based rank of the correct video for each text query (one int per query; 1 =
retrieved first). One figure per (task, dataset), a subplot per direction, a step histogram per
run on log-spaced bins (most mass sits at small ranks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from core.report.plots.common import MAX_RUNS, EvalEntry, pyplot, run_color, safe_name, save_panel_row

DIRECTIONS = (("ranks_t2v", "text -> video"), ("ranks_v2t", "video -> text"))


def _ranks(entry: EvalEntry, key: str) -> list[int]:
    values = entry.details.get(key)
    if not isinstance(values, list):
        return []
    return [int(v) for v in values if isinstance(v, int | float) and v >= 1]


def plot_rank_histograms(entries: Sequence[EvalEntry], out_dir: Path, run_order: Sequence[str] = ()) -> list[Path]:
    """`ranks_<task>_<dataset>.png` per retrieval task and dataset with ranks."""
    import numpy as np
    from matplotlib.ticker import ScalarFormatter

    groups: dict[tuple[str, str], list[EvalEntry]] = defaultdict(list)
    for entry in entries:
        if _ranks(entry, "ranks_t2v"):
            groups[(entry.task, entry.dataset)].append(entry)
    written = []
    plt = pyplot()
    for (task, dataset), items in sorted(groups.items()):
        items = items[:MAX_RUNS]
        directions = [(key, title) for key, title in DIRECTIONS if any(_ranks(e, key) for e in items)]
        top = max(max(_ranks(e, key) or [1]) for e in items for key, _ in directions)
        bins = np.unique(np.geomspace(1, top + 1, num=min(40, top + 1)).astype(int))
        if len(bins) < 2:
            bins = np.array([1, 2])
        fig, axes = plt.subplots(1, len(directions), figsize=(4.6 * len(directions), 3.4), squeeze=False, layout="constrained")
        for ax, (key, title) in zip(axes[0], directions, strict=True):
            for entry in items:
                ranks = _ranks(entry, key)
                if ranks:
                    index = list(run_order).index(entry.run.id) if entry.run.id in run_order else 0
                    ax.hist(ranks, bins=bins, histtype="step", linewidth=1.5, color=run_color(index),
                            label=f"{entry.run.label} (median {np.median(ranks):g})")
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())  # 1, 10, 100 rather than 10^0, 10^1
            ax.set_title(title)
            ax.set_xlabel("rank of the correct item (1 = best)")
            ax.grid(alpha=0.3)
        written.append(save_panel_row(fig, axes, "queries", f"retrieval ranks: {task} on {dataset}",
                                      out_dir / f"ranks_{safe_name(task)}_{safe_name(dataset)}.png"))
    return written
