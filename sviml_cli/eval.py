"""`sviml eval`: run the benchmarks on a checkpoint, or score your own prediction files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sviml_cli.context import launcher, state
from sviml_cli.output import JSON_OUTPUT, print_json, print_table

if TYPE_CHECKING:
    from core.eval.runner import EvalSummary

app = typer.Typer(help="Evaluate checkpoints on the four benchmarks; score your own prediction files.")
score_app = typer.Typer(help="Score prediction files with sviml's metrics (no model needed).", no_args_is_help=True)
app.add_typer(score_app, name="score")


@app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    all_tasks: bool = typer.Option(False, "--all", help="Every task whose datasets are registered (what runs "
                                                      "without --task)."),
    run: str | None = typer.Option(None, "--run", help="Run to evaluate (default: the newest finished pretrain run)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="An exported model folder to evaluate."),
    tasks: list[str] = typer.Option(None, "--task", "-t", help="Only these tasks (repeat the option)."),
    datasets: list[str] = typer.Option(None, "--dataset", "-d",
                                       help="Only these registered datasets (repeat the option); others keep their results."),
    views: int = typer.Option(4, "--views", help="Temporal views for multi-view testing."),
    workers: int = typer.Option(1, "--workers", help="Decoding worker processes."),
    retrain_heads: bool = typer.Option(False, "--retrain-heads",
                                       help="Train new task heads even where a finished head of this checkpoint exists."),
    head_steps: int | None = typer.Option(None, "--head-steps", min=1,
                                          help="Override the head recipes' step count (quick looks, tests)."),
    probe_features: str = typer.Option(
        "auto", "--probe-features",
        help="Linear-probe features: pooled (time-averaged, the paper's), ordered (in time order) or auto "
             "(ordered on synthetic datasets, whose classes are motions; pooled on real ones)."),
    nproc: int = typer.Option(1, "--nproc", min=1, help="Evaluation processes: each encodes a share of every "
                                                         "dataset; task heads train on all of them."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """Evaluate a checkpoint on every registered benchmark; exit 1 if any task failed."""
    if ctx.invoked_subcommand is not None:
        return
    import os

    from core.errors import UserError
    from core.eval.context import PROBE_FEATURES, EvalOptions
    from core.eval.runner import evaluate_all

    app_state = state(ctx)
    if nproc > 1 and "WORLD_SIZE" not in os.environ:  # start the ranks, each running this command
        from core.train.launch import relaunch_under_torchrun

        raise typer.Exit(relaunch_under_torchrun(app_state.settings, nproc, "--nproc"))
    if all_tasks and tasks:
        raise UserError("give --all or --task, not both")
    if probe_features not in PROBE_FEATURES:
        raise UserError(f"--probe-features must be one of {', '.join(PROBE_FEATURES)}, not {probe_features!r}")
    options = EvalOptions(views=views, workers=workers, reuse_heads=not retrain_heads, head_steps=head_steps,
                          probe_features=probe_features, show_progress=not as_json)
    summary = evaluate_all(app_state.settings, app_state.registry, run, checkpoint, tasks or None, options,
                           launcher(ctx), only_datasets=datasets or None)
    if int(os.environ.get("RANK", "0")) != 0:  # rank 0 reports for all
        raise typer.Exit(1 if summary.failed else 0)
    if as_json:
        print_json({"run_id": summary.run_id, "checkpoint": summary.checkpoint, "tasks": [
            {"task": r.task, "dataset": r.dataset, "status": r.status, "message": r.message, "metrics": r.metrics,
             "chance": r.chance} for r in summary.reports]})
    else:
        _print_summary(summary)
    raise typer.Exit(1 if summary.failed else 0)


def _print_summary(summary: EvalSummary) -> None:
    rows = []
    for report in summary.reports:
        if report.status != "ok":
            rows.append((report.task, report.dataset or "", report.status, report.message, ""))
            continue
        for metric in report.headline:
            if metric not in report.metrics:  # e.g. fg/bg metrics on a cut-detection dataset
                continue
            value, chance = report.metrics[metric], report.chance.get(metric)
            rows.append((report.task, report.dataset, metric, f"{value:.2f}",
                         f"{chance:.2f}" if chance is not None else ""))
    print_table(f"evaluation of run {summary.run_id}", ["task", "dataset", "metric", "value", "chance"], rows,
                empty="Nothing evaluated.")


def _print_scores(title: str, scores: dict, as_json: bool) -> None:
    if as_json:
        print_json(scores)
        return
    rows = []
    for key, value in scores.items():
        if isinstance(value, dict):
            rows += [(f"{key} {k}", f"{v:.2f}") for k, v in value.items()]
        else:
            rows.append((key, f"{value:.2f}"))
    print_table(title, ["metric", "value"], rows, empty="No scores.")


@score_app.command("retrieval")
def score_retrieval(
    sim: Path = typer.Option(..., "--sim", help="Similarity matrix .npy: texts x videos, ground truth on the diagonal."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """R@1/5/10, median and mean rank, text->video and video->text (pessimistic ties)."""
    from core.eval.score import score_retrieval_file

    _print_scores("retrieval", score_retrieval_file(sim), as_json)


@score_app.command("tal")
def score_tal(
    gt: Path = typer.Option(..., "--gt", help="Ground truth in ActivityNet v1.3 format."),
    pred: Path = typer.Option(..., "--pred", help="Detections in ActivityNet's submission format."),
    subset: str = typer.Option("validation", "--subset", help="Subset of the ground truth to score."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """Temporal localization mAP at tIoU 0.50:0.05:0.95 and their average, as ActivityNet computes it."""
    from core.eval.score import score_tal_files

    _print_scores("temporal action localization", score_tal_files(gt, pred, subset), as_json)


@score_app.command("action")
def score_action(
    logits: Path = typer.Option(..., "--logits", help="Logits .npy [N, C] (or [N, V, C]: views are averaged)."),
    labels: Path = typer.Option(..., "--labels", help="Integer labels .npy [N]."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """Top-1, top-5 and mean class accuracy (ties towards the lower class index)."""
    from core.eval.score import score_action_files

    _print_scores("action recognition", score_action_files(logits, labels), as_json)
