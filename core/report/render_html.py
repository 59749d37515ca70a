"""HTML: one self-contained page (inline CSS, plots as base64 PNG data URIs, no script, no remote asset).

It opens from disk without a server and prints as it shows. Layout: title and legend, a runs table,
one table per task (dataset headers spanning their metrics), footnotes (numbered, linked from each
cell's superscript), notes, then the plots with captions.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from itertools import groupby
from pathlib import Path

from core.report import format as fmt
from core.report.table_model import PAPER_SOURCE, Column, ColumnGroup, ReportTable, Row

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em;color:#1b1f24;
max-width:1600px}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em}
p.meta,p.legend{color:#57606a;margin:.2em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:.25em .6em;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.paper td{background:#eef6ff;font-style:italic}tr.baseline td{background:#fff8e5}
th.synthetic{background:#fdf0e6}th.paper{background:#eef6ff;font-style:italic}sup a{text-decoration:none;color:#57606a}
.better{color:#1a7f37}.worse{color:#cf222e}ol.footnotes li.paper{font-style:italic}
figure{display:inline-block;margin:.8em 1em .8em 0;vertical-align:top}
figure img{max-width:100%;border:1px solid #d0d7de}figcaption{color:#57606a;font-size:.85em}
"""


def _value(row: Row, column: Column) -> str:
    cell = row.cells.get(column.key)
    if cell is None:
        return '<td class="num"></td>'
    text = escape(fmt.cell_text(cell, row))
    if cell.best:
        text = f"<strong>{text}</strong>"
    verdict = fmt.verdict_is_better(cell)
    if verdict is not None:
        text = f'<span class="{"better" if verdict else "worse"}">{text}</span>'
    if cell.footnote is not None:
        text += f'<sup><a href="#fn-{cell.footnote}">{cell.footnote}</a></sup>'
    if cell.delta is not None:
        better = fmt.delta_is_better(cell.delta, column)
        css = "" if better is None else (' class="better"' if better else ' class="worse"')
        text += f" <span{css}>({escape(fmt.format_delta(cell.delta))})</span>"
    return f'<td class="num">{text}</td>'


def _row_class(row: Row) -> str:
    if row.source == PAPER_SOURCE:
        return ' class="paper"'
    return ' class="baseline"' if row.baseline else ""


def _identity(report: ReportTable, row: Row, with_fields: bool) -> str:
    cells = [fmt.source_label(row), row.label] if report.show_source else [row.label]
    if with_fields:
        cells += [row.fields.get(name, "") for name in report.row_fields]
        cells += [row.config.get(key, "") for key in report.config_keys]
    return "".join(f"<td>{escape(cell)}</td>" for cell in cells)


def _metric_header(identity: Sequence[str], groups: Sequence[ColumnGroup], with_task: bool) -> str:
    top = "".join(f'<th rowspan="2">{escape(name)}</th>' for name in identity)
    bottom = ""
    for group in groups:
        for _label, columns in groupby(group.columns, key=lambda c: c.dataset_label):
            columns = list(columns)
            label = f"{group.task} / {columns[0].dataset_label}" if with_task else columns[0].dataset_label
            css = ' class="synthetic"' if columns[0].synthetic else ""
            css = ' class="paper"' if columns[0].source == PAPER_SOURCE else css
            top += f'<th colspan="{len(columns)}"{css}>{escape(label)}</th>'
            bottom += "".join(f"<th{css}>{escape(fmt.column_label(c))}</th>" for c in columns)
    return f"<thead><tr>{top}</tr><tr>{bottom}</tr></thead>"


def _metric_table(report: ReportTable, groups: Sequence[ColumnGroup], rows: Sequence[Row], with_fields: bool) -> str:
    identity = fmt.identity_headers(report.kind, report.show_source)
    identity += [*report.row_fields, *report.config_keys] if with_fields else []
    columns = [column for group in groups for column in group.columns]
    body = "".join(
        f"<tr{_row_class(row)}>{_identity(report, row, with_fields)}{''.join(_value(row, c) for c in columns)}</tr>"
        for row in rows
    )
    return f"<table>{_metric_header(identity, groups, with_task=with_fields)}<tbody>{body}</tbody></table>"


def _runs_table(report: ReportTable) -> str:
    names = [*fmt.identity_headers(report.kind, report.show_source), *report.row_fields, *report.config_keys]
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    body = "".join(f"<tr{_row_class(row)}>{_identity(report, row, True)}</tr>" for row in report.measured_rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = escape(path.stem.replace("_", " "))
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"><figcaption>{name}</figcaption></figure>'


def render_html(report: ReportTable, plots: Sequence[Path] = (), meta: Mapping[str, str] | None = None) -> str:
    """The page as a string; `plots` (PNG files) are embedded, `meta` becomes the line under the title."""
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    if meta:
        parts.append('<p class="meta">' + " · ".join(f"{escape(k)}: {escape(v)}" for k, v in meta.items()) + "</p>")
    parts.append(f'<p class="legend">{escape(fmt.legend(report.baseline is not None))}</p>')
    if report.layout == "single":
        parts.append(_metric_table(report, report.groups, report.rows, with_fields=True))
    else:
        if report.measured_rows:
            parts.append(f'<section id="runs"><h2>Runs</h2>{_runs_table(report)}</section>')
        for group in report.groups:
            parts.append(
                f'<section id="task-{escape(group.task)}"><h2>{escape(group.task)}: {escape(group.title)}</h2>'
                f"{_metric_table(report, [group], report.rows_with_values(group), with_fields=False)}</section>"
            )
    if report.footnotes:
        items = "".join(
            f'<li id="fn-{n.number}"{" class=paper" if n.source == PAPER_SOURCE else ""}>{escape(n.text)}</li>'
            for n in report.footnotes
        )
        parts.append(f'<section id="footnotes"><h2>Footnotes</h2><ol class="footnotes">{items}</ol></section>')
    if report.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
        parts.append(f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>')
    figures = [path for path in plots if path.suffix == ".png" and path.is_file()]
    if figures:
        parts.append('<section id="plots"><h2>Plots</h2>' + "".join(_figure(p) for p in figures) + "</section>")
    parts.append("</body></html>\n")
    return "".join(parts)
