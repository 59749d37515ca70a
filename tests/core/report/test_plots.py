"""Plots from fake TensorBoard logs and eval files: written, non-empty, not blank; absent inputs skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.report.plots import (
    PlotRun,
    chance_levels,
    load_evals,
    plot_assignment_maps,
    plot_loss_curves,
    plot_rank_histograms,
    plot_tal_pr,
    plot_task_bars,
)
from tests.core.report.helpers import write_eval_files, write_tb


def _looks_drawn(path: Path) -> None:
    import matplotlib.image as mpimg

    assert path.is_file() and path.stat().st_size > 5000, path
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.std() > 0.02, path  # not one flat colour


@pytest.fixture
def runs(tmp_path) -> list[PlotRun]:
    made = []
    for i, name in enumerate(("alpha", "beta")):
        run_dir = tmp_path / name
        write_tb(run_dir / "tb", scale=1.0 + i)
        write_eval_files(run_dir, seed=i)
        made.append(PlotRun(id=name, label=name, run_dir=run_dir))
    return made


def test_every_plot_kind_is_drawn(runs, tmp_path, report):
    out = tmp_path / "plots"
    entries = load_evals(runs)
    written = plot_loss_curves(runs, out)
    written += plot_rank_histograms(entries, out, ["alpha", "beta"])
    written += plot_tal_pr(entries, out, ["alpha", "beta"])
    written += plot_assignment_maps(entries, out)
    output = report(format="json")
    written += plot_task_bars(output.table, chance_levels([{"task": "qa", "dataset": "synth-msvd-qa", "metric": "acc",
                                                            "protocol": {"chance": 2.0}}]), out)
    names = sorted(path.name for path in written)
    assert names == sorted([
        "losses.png", "ranks_retrieval_zs_synth-msrvtt.png", "tal_pr_synth-anet.png",
        "groups_alpha_grounding_synth-msrvtt.png", "groups_beta_grounding_synth-msrvtt.png",
        "bars_retrieval_zs.png", "bars_qa.png",
    ])
    for path in written:
        _looks_drawn(path)


def test_absent_inputs_skip_quietly(tmp_path, report):
    bare = [PlotRun("x", "x", tmp_path / "nothing"), PlotRun("y", "y", None)]
    out = tmp_path / "plots"
    entries = load_evals(bare)
    assert entries == []
    assert plot_loss_curves(bare, out) == []
    assert plot_rank_histograms(entries, out) == []
    assert plot_tal_pr(entries, out) == []
    assert plot_assignment_maps(entries, out) == []
    from core.report.paper import PAPER_NUMBERS
    from core.report.table import build_table

    assert plot_task_bars(build_table([], [], PAPER_NUMBERS), {}, out) == []  # the paper alone: no bars
    assert not out.exists()


def test_broken_files_cost_their_plot_only(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "eval").mkdir(parents=True)
    (run_dir / "eval" / "tal.json").write_text("{ not json")
    (run_dir / "eval" / "grounding.json").write_text(
        '{"task": "grounding", "datasets": {"synth-msrvtt": {"details": {"assignment_maps": "missing.npz"}}}}')
    (run_dir / "tb").mkdir()
    (run_dir / "tb" / "events.out.tfevents.0.x").write_bytes(b"\x00garbage")
    runs = [PlotRun("r", "r", run_dir)]
    entries = load_evals(runs)
    assert [e.task for e in entries] == ["grounding"]
    assert plot_assignment_maps(entries, tmp_path / "p") == []
    assert plot_loss_curves(runs, tmp_path / "p") == []
