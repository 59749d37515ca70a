"""`sviml report`: comparison tables and plots of results, beside the paper's numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from sviml_cli.context import state
from sviml_cli.filters import NAME_FILTER, STATUS_FILTER, TAG_FILTER

app = typer.Typer(
    help="Tables and plots of results beside the paper's numbers: runs as rows (with the config keys that "
    "differ), task/dataset/metric as columns, a footnote per protocol. With --format html, one self-contained "
    "page: <home>/report/report.html unless --out.",
    short_help="Tables and plots of results beside the paper's numbers.",
    subcommand_metavar="",  # a single command, not a group: no COMMAND in the usage line
)


def _split(values: list[str] | None) -> list[str]:
    """`--runs a,b --runs c` -> [a, b, c]."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
    runs: list[str] | None = typer.Option(None, "--runs", help="Run ids to show (repeat or comma-separate)."),
    last: int | None = typer.Option(None, "--last", "-n", help="Only the newest N runs with results."),
    name: str | None = NAME_FILTER,
    tags: list[str] | None = TAG_FILTER,
    status: str | None = STATUS_FILTER,
    recipe: str | None = typer.Option(None, "--recipe", help="Runs of this recipe instead of pre-training runs."),
    tasks: list[str] | None = typer.Option(None, "--tasks", help="Only these tasks (repeat or comma-separate)."),
    metrics: str = typer.Option("headline", "--metrics", help="headline, all, or metric names (comma-separated)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, md, csv, json or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the report to this file."),
    plots: Path | None = typer.Option(None, "--plots", help="Write PNG plots here (html: <home>/report/plots)."),
    baseline: str | None = typer.Option(None, "--baseline", help="Add deltas against this run; with --ablation, "
                                           "the variant the others are paired against (default: the first)."),
    ablation: bool = typer.Option(False, "--ablation", help="The loss ablation in the paper's Table 6 layout."),
    study: str | None = typer.Option(None, "--study", help="With --ablation: the study (runs tagged ablation=NAME)."),
    paper: str = typer.Option("all", "--paper", help="Paper rows: all (with its baselines), svilm, or none."),
    average_splits: bool = typer.Option(False, "--average-splits", help="UCF101/HMDB51 registered with "
                                        "`--split all`: one column with the mean of splits 1-3."),
) -> None:
    """Report results beside the paper's numbers."""
    if ctx.invoked_subcommand is not None:
        return
    from core.report.build import ReportOptions, build_report

    options = ReportOptions(
        runs=_split(runs), last=last, name=name, tags=tuple(tags or ()), status=status, recipe=recipe, tasks=_split(tasks) or None, metrics=metrics, format=fmt,
        out=out, plots=plots, baseline=baseline, ablation=ablation, study=study, paper=paper,
        average_splits=average_splits,
    )
    output = build_report(state(ctx).settings, options)
    if output.renderables is not None:
        from rich.console import Console

        console = Console(width=None if sys.stdout.isatty() else options.width)
        for renderable in output.renderables:
            console.print(renderable)
    elif output.path is None and output.text is not None:
        sys.stdout.write(output.text)
    if output.path is not None:
        sys.stderr.write(f"sviml: wrote {output.path}\n")
    if output.plots:
        sys.stderr.write(f"sviml: wrote {len(output.plots)} plots to {output.plots[0].parent}\n")
