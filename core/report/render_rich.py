"""The terminal view (rich): a runs table, one table per task, footnotes and notes.

Paper rows are italic and cyan; the best measured value of a column is bold; footnote markers are
superscripts; deltas against the baseline are green when better and red when worse.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from core.report import format as fmt
from core.report.table_model import PAPER_SOURCE, Column, ColumnGroup, ReportTable, Row

PAPER_STYLE = "italic cyan"


def _value(row: Row, column: Column) -> Any:
    from rich.text import Text

    cell = row.cells.get(column.key)
    if cell is None:
        return Text("")
    better = fmt.verdict_is_better(cell)
    style = "bold" if cell.best else "" if better is None else ("green" if better else "red")
    text = Text(fmt.cell_text(cell, row), style=style)
    if cell.footnote is not None:
        text.append(fmt.superscript(cell.footnote), style="dim")
    if cell.delta is not None:
        better = fmt.delta_is_better(cell.delta, column)
        style = "" if better is None else ("green" if better else "red")
        text.append(f" ({fmt.format_delta(cell.delta)})", style=style)
    return text


def _new_table(title: str | None, identity: Sequence[str]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    for name in identity:
        table.add_column(name, overflow="fold")
    return table


def _add_metric_columns(table: Any, groups: Sequence[ColumnGroup], with_task: bool) -> list[Column]:
    columns = []
    for group in groups:
        for column in group.columns:
            head = f"{column.dataset_label}\n{fmt.column_label(column)}"
            style = "italic cyan" if column.source == PAPER_SOURCE else None
            table.add_column(f"{group.task}\n{head}" if with_task else head, justify="right", overflow="fold",
                             style=style, header_style=f"bold {style}" if style else "bold")
            columns.append(column)
    return columns


def _identity(report: ReportTable, row: Row, with_fields: bool) -> list[str]:
    cells = [fmt.source_label(row), row.label] if report.show_source else [row.label]
    if with_fields:
        cells += [row.fields.get(name, "") for name in report.row_fields]
        cells += [row.config.get(key, "") for key in report.config_keys]
    return cells


def render_rich(report: ReportTable) -> list[Any]:
    """Renderables to print on a rich Console, in order."""
    from rich.text import Text

    identity = fmt.identity_headers(report.kind, report.show_source)
    fields = [*report.row_fields, *report.config_keys]
    out: list[Any] = [Text(report.title, style="bold"), Text(fmt.legend(report.baseline is not None), style="dim")]
    if report.layout == "single":
        table = _new_table(None, [*identity, *fields])
        columns = _add_metric_columns(table, report.groups, with_task=True)
        for row in report.rows:
            table.add_row(*_identity(report, row, True), *(_value(row, c) for c in columns),
                          style=PAPER_STYLE if row.source == PAPER_SOURCE else None)
        out.append(table)
    else:
        if report.measured_rows:
            runs = _new_table("runs", [*identity, *fields])
            for row in report.measured_rows:
                runs.add_row(*_identity(report, row, True))
            out.append(runs)
        for group in report.groups:
            table = _new_table(f"{group.task}: {group.title}", identity)
            columns = _add_metric_columns(table, [group], with_task=False)
            for row in report.rows_with_values(group):
                table.add_row(*_identity(report, row, False), *(_value(row, c) for c in columns),
                              style=PAPER_STYLE if row.source == PAPER_SOURCE else None)
            out.append(table)
    if report.footnotes:
        notes = Text("footnotes\n", style="bold")
        for note in report.footnotes:
            notes.append(f"{fmt.superscript(note.number)} {note.text}\n", style=PAPER_STYLE if note.source == PAPER_SOURCE
                         else "")
        out.append(notes)
    for note in report.notes:
        out.append(Text(f"note: {note}", style="yellow"))
    return out


def render_rich_text(report: ReportTable, width: int = 160) -> str:
    """The terminal view as plain text (for `--format table --out FILE`)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    for renderable in render_rich(report):
        console.print(renderable)
    return console.export_text()
