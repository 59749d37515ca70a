"""What the plot modules share: the Agg backend, the runs and evaluation files they read, saving.

Every plot function takes plain inputs (runs, evaluation entries, the table), skips quietly when
its input is absent or unreadable, and returns the PNG files it wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_RUNS = 10  # lines/bars per figure: more than this is unreadable; the first rows of the table win
DPI = 110


@dataclass(frozen=True)
class PlotRun:
    """A run as plots see it: its id, the label the table shows, and its folder."""

    id: str
    label: str
    run_dir: Path | None


@dataclass(frozen=True)
class EvalEntry:
    """One dataset's block of `<run_dir>/eval/<task>.json`: metrics, protocol and details."""

    run: PlotRun
    task: str
    dataset: str
    metrics: dict[str, Any]
    protocol: dict[str, Any]
    details: dict[str, Any]
    eval_dir: Path


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display; imported only when plots are drawn)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)  # constrained layout already fits titles and labels
    pyplot().close(fig)
    return path


def save_panel_row(fig: Any, axes: Any, ylabel: str, title: str, path: Path) -> Path:
    """A one-row figure of panels sharing a y axis: label the first, legend on the last, title, save."""
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize="small")
    fig.suptitle(title)
    return save(fig, path)


def run_color(index: int) -> Any:
    return pyplot().get_cmap("tab10")(index % 10)


def load_evals(runs: Sequence[PlotRun]) -> list[EvalEntry]:
    """Every readable `<run_dir>/eval/<task>.json` of these runs, one entry per dataset."""
    entries = []
    for run in runs:
        if run.run_dir is None:
            continue
        eval_dir = Path(run.run_dir) / "eval"
        if not eval_dir.is_dir():
            continue
        for path in sorted(eval_dir.glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                datasets = doc.get("datasets") or {}
                task = str(doc.get("task") or path.stem)
            except (OSError, ValueError, AttributeError):
                continue  # a half-written or foreign file: no plot, never a failed report
            for dataset, block in datasets.items():
                if isinstance(block, dict):
                    entries.append(EvalEntry(run, task, str(dataset), block.get("metrics") or {},
                                             block.get("protocol") or {}, block.get("details") or {}, eval_dir))
    return entries
