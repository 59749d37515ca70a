"""Training curves of each loss term from the runs' TensorBoard logs (`<run_dir>/tb/`).

One figure, one subplot per term (`train/loss`, `train/loss_contrast`, `train/loss_ground`,
`train/loss_temporal`), one line per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.report.plots.common import MAX_RUNS, PlotRun, pyplot, run_color, save

LOSS_TAGS = ("train/loss", "train/loss_contrast", "train/loss_ground", "train/loss_temporal")


def read_scalars(tb_dir: Path, tags: Sequence[str]) -> dict[str, tuple[list[int], list[float]]]:
    """`tag -> (steps, values)` for the tags present in a TensorBoard folder; {} if none is readable."""
    if not tb_dir.is_dir():
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    try:
        accumulator = EventAccumulator(str(tb_dir), size_guidance={"scalars": 0})  # 0: keep every point
        accumulator.Reload()
        present = set(accumulator.Tags().get("scalars", []))
        curves = {}
        for tag in tags:
            if tag in present:
                events = accumulator.Scalars(tag)
                curves[tag] = ([e.step for e in events], [e.value for e in events])
        return curves
    except Exception:  # noqa: BLE001 - a corrupt event file costs its plot, not the report
        return {}


def plot_loss_curves(runs: Sequence[PlotRun], out_dir: Path) -> list[Path]:
    """`losses.png`: each loss term's curve per run; nothing when no run has TensorBoard scalars."""
    curves = []
    for index, run in enumerate(runs[:MAX_RUNS]):
        if run.run_dir is not None:
            found = read_scalars(Path(run.run_dir) / "tb", LOSS_TAGS)
            if found:
                curves.append((index, run, found))
    terms = [tag for tag in LOSS_TAGS if any(tag in found for _, _, found in curves)]
    if not terms:
        return []
    plt = pyplot()
    fig, axes = plt.subplots(1, len(terms), figsize=(4.2 * len(terms), 3.4), squeeze=False, layout="constrained")
    for ax, tag in zip(axes[0], terms, strict=True):
        for index, run, found in curves:
            if tag in found:
                steps, values = found[tag]
                ax.plot(steps, values, color=run_color(index), label=run.label, linewidth=1.4)
        ax.set_title(tag)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("loss")
    axes[0][-1].legend(fontsize="small", loc="upper right")
    fig.suptitle("training losses per term")
    return [save(fig, out_dir / "losses.png")]
