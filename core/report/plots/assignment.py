"""Group-assignment maps over frames (synthetic datasets): which group token each pixel went to.

Input: `details.assignment_maps` of an eval JSON names an `.npz` (relative to the eval folder)
holding `maps` uint8 [V, Nt, H, W] (group index per position), `frames` uint8 [V, T, H', W', 3] and
`num_groups`. Drawn as the frames with a coloured overlay per group: a row per sample video, a
column per temporal position (at most 8, evenly spaced). Maps coarser than the frames (token grid)
are upsampled by nearest neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.report.plots.common import EvalEntry, pyplot, safe_name, save

MAX_VIDEOS = 4
MAX_STEPS = 8
MAX_FIGURES = 6  # one per (run, dataset): the first runs of the table
ALPHA = 0.45


def _load(entry: EvalEntry) -> tuple[Any, Any, int] | None:
    import numpy as np

    name = entry.details.get("assignment_maps")
    if not isinstance(name, str) or not name:
        return None
    try:
        with np.load(entry.eval_dir / name, allow_pickle=False) as data:  # never unpickle
            maps, frames = np.asarray(data["maps"]), np.asarray(data["frames"])
            num_groups = int(data["num_groups"]) if "num_groups" in data else int(maps.max()) + 1
    except (OSError, KeyError, ValueError, TypeError):
        return None
    if maps.ndim != 4 or frames.ndim != 5 or frames.shape[-1] != 3 or len(maps) == 0 or len(maps) != len(frames):
        return None
    return maps, frames, max(num_groups, 1)


def _palette(num_groups: int) -> Any:
    import numpy as np

    cmap = pyplot().get_cmap("tab20" if num_groups <= 20 else "hsv")
    return (np.array([cmap(i % cmap.N if num_groups <= 20 else i / num_groups)[:3] for i in range(num_groups)])
            * 255).astype(np.float32)


def _resize_nearest(grid: Any, height: int, width: int) -> Any:
    import numpy as np

    rows = np.arange(height) * grid.shape[0] // height
    cols = np.arange(width) * grid.shape[1] // width
    return grid[rows][:, cols]


def overlay(frame: Any, groups: Any, palette: Any) -> Any:
    """A frame [H, W, 3] uint8 blended with the colour of each pixel's group."""
    import numpy as np

    groups = _resize_nearest(groups, frame.shape[0], frame.shape[1])
    colours = palette[np.clip(groups, 0, len(palette) - 1)]
    return ((1 - ALPHA) * frame.astype(np.float32) + ALPHA * colours).clip(0, 255).astype(np.uint8)


def plot_assignment_maps(entries: Sequence[EvalEntry], out_dir: Path) -> list[Path]:
    """`groups_<run>_<task>_<dataset>.png` per evaluation with assignment maps."""
    import numpy as np

    written = []
    for entry in entries:
        if len(written) >= MAX_FIGURES:
            break
        loaded = _load(entry)
        if loaded is None:
            continue
        maps, frames, num_groups = loaded
        palette = _palette(num_groups)
        videos = min(len(maps), MAX_VIDEOS)
        steps = np.unique(np.linspace(0, maps.shape[1] - 1, num=min(maps.shape[1], MAX_STEPS)).round().astype(int))
        plt = pyplot()
        fig, axes = plt.subplots(videos, len(steps), figsize=(1.6 * len(steps), 1.6 * videos), squeeze=False, layout="constrained")
        for v in range(videos):
            for col, t in enumerate(steps):
                frame_index = min(int(t) * frames.shape[1] // maps.shape[1], frames.shape[1] - 1)
                axes[v][col].imshow(overlay(frames[v, frame_index], maps[v, t], palette))
                axes[v][col].set_axis_off()
                if v == 0:
                    axes[v][col].set_title(f"t={t}", fontsize="small")
        fig.suptitle(f"group assignments: {entry.run.label}, {entry.task} on {entry.dataset} "
                     f"({num_groups} groups)", fontsize="medium")
        name = f"groups_{safe_name(entry.run.label)}_{safe_name(entry.task)}_{safe_name(entry.dataset)}.png"
        written.append(save(fig, out_dir / name))
    return written
