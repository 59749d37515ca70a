"""Markdown: a runs table, one table per task (or one table for the ablation), footnotes, notes.

Cells: `**31.2**<sup>3</sup> (+2.0)` = best in its column, footnote 3, +2.0 against the baseline.
GitHub renders `<sup>` and `<br>` inside tables; in plain text they still read clearly.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.report.format import cell_text, column_label, format_delta, identity_headers, legend, source_label
from core.report.table_model import ColumnGroup, ReportTable, Row


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    return [_line(header), _line(["---"] * len(header)), *(_line(row) for row in body)]


def _value(row: Row, key: str) -> str:
    cell = row.cells.get(key)
    if cell is None:
        return ""  # a missing result is blank, never 0
    text = cell_text(cell, row)
    text = f"**{text}**" if cell.best else text
    if cell.footnote is not None:
        text += f"<sup>{cell.footnote}</sup>"
    if cell.delta is not None:
        text += f" ({format_delta(cell.delta)})"
    return text


def _identity(table: ReportTable, row: Row, with_fields: bool) -> list[str]:
    cells = [source_label(row), _escape(row.label)] if table.show_source else [_escape(row.label)]
    if with_fields:
        cells += [_escape(row.fields.get(name, "")) for name in table.row_fields]
        cells += [_escape(row.config.get(key, "")) for key in table.config_keys]
    return cells


def _group_header(groups: Sequence[ColumnGroup], with_task: bool) -> list[str]:
    return [
        _escape(f"{group.task} {column.dataset_label} {column_label(column)}" if with_task
                else f"{column.dataset_label} {column_label(column)}")
        for group in groups for column in group.columns
    ]


def render_markdown(table: ReportTable) -> str:
    """The whole report as one Markdown document."""
    lines = [f"# {table.title}", "", legend(table.baseline is not None), ""]
    identity = identity_headers(table.kind, table.show_source)
    fields = [*table.row_fields, *table.config_keys]
    if table.layout == "single":
        header = identity + fields + _group_header(table.groups, with_task=True)
        keys = [column.key for column in table.columns]
        body = [_identity(table, row, True) + [_value(row, key) for key in keys] for row in table.rows]
        lines += _table(header, body) + [""]
    else:
        if table.measured_rows:
            lines += ["## Runs", ""]
            lines += _table(identity + fields, [_identity(table, row, True) for row in table.measured_rows]) + [""]
        for group in table.groups:
            keys = [column.key for column in group.columns]
            lines += [f"## {group.task}: {group.title}", ""]
            body = [_identity(table, row, False) + [_value(row, key) for key in keys]
                    for row in table.rows_with_values(group)]
            lines += _table(identity + _group_header([group], with_task=False), body) + [""]
    if table.footnotes:
        lines += ["## Footnotes", ""]
        lines += [f"{note.number}. {_escape(note.text)}" for note in table.footnotes] + [""]
    if table.notes:
        lines += ["## Notes", ""] + [f"- {_escape(note)}" for note in table.notes] + [""]
    return "\n".join(lines)
