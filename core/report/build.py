"""`build_report`: the one function behind `sviml report`: select runs, pivot, plot, render, write.

The path of `--format md/csv/json` imports neither matplotlib nor torch nor SQLAlchemy (on an
existing SQLite registry): a report over 1,000 runs stays well under two seconds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.report.known_metrics import TASKS
from core.report.table_model import MEASURED, ReportTable

if TYPE_CHECKING:
    from core.settings import Settings

FORMATS = ("table", "md", "csv", "json", "html")
PAPER_CHOICES = ("all", "svilm", "none")


@dataclass
class ReportOptions:
    """What `sviml report` was asked for; every field has the CLI's default."""

    runs: Sequence[str] = ()
    last: int | None = None
    name: str | None = None
    tags: Sequence[str] = ()  # KEY=VALUE, as `runs ls --tag`
    status: str | None = None
    recipe: str | None = None  # instead of pre-training runs
    tasks: Sequence[str] | None = None
    metrics: str = "headline"
    format: str = "table"
    out: Path | None = None
    plots: Path | None = None
    baseline: str | None = None  # a run id; with `ablation`, the variant the others are paired against
    ablation: bool = False
    study: str | None = None
    paper: str = "all"  # all: S-ViLM and the paper's baselines; svilm; none
    width: int = 160  # characters, for `--format table --out FILE`
    average_splits: bool = False  # UCF101/HMDB51 registered with `--split all`: the mean of splits 1-3


@dataclass
class ReportOutput:
    """The table model, the rendered report (text, or rich renderables for a terminal), files written."""

    table: ReportTable
    format: str
    text: str | None = None
    renderables: list[Any] | None = None
    path: Path | None = None
    plots: list[Path] = field(default_factory=list)


def _check(options: ReportOptions) -> None:
    if options.format not in FORMATS:
        raise UserError(f"unknown format {options.format!r}; choose one of {', '.join(FORMATS)}")
    if options.paper not in PAPER_CHOICES:
        raise UserError(f"unknown --paper {options.paper!r}; choose one of {', '.join(PAPER_CHOICES)}")
    if options.study and not options.ablation:
        raise UserError("--study selects an ablation study: use it with --ablation")


def _write(path: Path, text: str) -> Path:
    """Write through a temporary file and rename, so that a reader never sees half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        raise UserError(f"cannot write the report to {path}: {err.strerror or err}") from err
    return path


def _meta(table: ReportTable, options: ReportOptions, settings: Settings) -> dict[str, str]:
    measured = sum(row.source == MEASURED for row in table.rows)
    what = "variants" if table.kind == "ablation" else "runs"
    return {
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "home": str(settings.home),
        what: str(measured),
        "metrics": options.metrics,
    }


def build_report(settings: Settings, options: ReportOptions) -> ReportOutput:
    """Select, pivot, plot and render one report; writes `options.out` (and plots) when asked."""
    from core.registry.schema import RunFilter
    from core.registry.sqlite_read import open_reader
    from core.registry.tags import parse_tags
    from core.report.paper import paper_numbers
    from core.report.select import select_runs

    _check(options)
    where = RunFilter(recipe=options.recipe, status=options.status, tags=parse_tags(options.tags))
    reader = open_reader(settings.database_url)
    try:
        selection = select_runs(reader, run_ids=options.runs, last=options.last, name=options.name,
                                tasks=options.tasks, baseline=None if options.ablation else options.baseline,
                                where=where)
    finally:
        reader.close()
    for task in options.tasks or ():
        if task not in TASKS and not any(result["task"] == task for result in selection.results):
            raise UserError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if options.average_splits:
        from core.report.split_average import average_splits

        selection.results = average_splits(selection.results)
    if options.ablation:
        from core.report.ablation import build_ablation_table

        table = build_ablation_table(selection.results, selection.runs, study=options.study,
                                     baseline=options.baseline)
    else:
        from core.report.table import build_table

        table = build_table(selection.results, selection.runs, paper_numbers(options.paper), tasks=options.tasks,
                            metrics=options.metrics, baseline=options.baseline,
                            title="sviml report: measured results beside the paper's")

    # The ablation gets its own default page and plot folder: it never overwrites the main report.
    stem = "ablation" if options.ablation else "report"
    out = options.out
    if options.format == "html" and out is None:
        out = settings.home / "report" / f"{stem}.html"
    plots_dir = options.plots
    if plots_dir is None and options.format == "html":
        plots_dir = settings.home / "report" / ("plots-ablation" if options.ablation else "plots")
    plots: list[Path] = []
    if plots_dir is not None:
        from core.report.plots import write_plots

        try:
            plots = write_plots(table, selection.runs, selection.results, Path(plots_dir))
        except OSError as err:
            raise UserError(f"cannot write plots to {plots_dir}: {err.strerror or err}") from err

    output = ReportOutput(table=table, format=options.format, plots=plots)
    if options.format == "table":
        if out is None:
            from core.report.render_rich import render_rich

            output.renderables = render_rich(table)
            return output
        from core.report.render_rich import render_rich_text

        output.text = render_rich_text(table, width=options.width)
    elif options.format == "md":
        from core.report.render_markdown import render_markdown

        output.text = render_markdown(table)
    elif options.format == "csv":
        from core.report.render_csv import render_csv

        output.text = render_csv(table)
    elif options.format == "json":
        from core.report.render_json import render_json

        output.text = render_json(table, plots)
    else:
        from core.report.render_html import render_html

        output.text = render_html(table, plots, _meta(table, options, settings))
    if out is not None:
        output.path = _write(Path(out), output.text)
    return output
