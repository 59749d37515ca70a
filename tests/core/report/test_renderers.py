"""Every format carries the same numbers: Markdown, CSV and JSON parse back to the table's values;
the terminal view shows them; the HTML page is self-contained."""

from __future__ import annotations

import csv
import io
import json
import re

from core.report.render_csv import render_csv
from core.report.render_html import render_html
from core.report.render_json import render_json
from core.report.render_markdown import render_markdown
from core.report.render_rich import render_rich_text
from core.report.table_model import MEASURED

NUMBER = re.compile(r"^\**(-?\d+\.\d)")


def _expected(table) -> dict[tuple[str, str], float]:
    return {(row.key, key): cell.value for row in table.rows for key, cell in row.cells.items()}


def _markdown_cells(text: str, table) -> dict[tuple[str, str], str]:
    """(row key, column key) -> cell text, read back from the per-task sections."""
    labels = {row.label: row.key for row in table.rows}
    cells = {}
    for group in table.groups:
        section = text.split(f"## {group.task}: ", 1)[1].split("\n## ", 1)[0]
        lines = [line for line in section.splitlines() if line.startswith("| ")][2:]
        for line in lines:
            parts = [part.strip() for part in line.strip("|").split(" | ")]
            for column, value in zip(group.columns, parts[2:], strict=True):
                cells[(labels[parts[1]], column.key)] = value
    return cells


def _footnote(table, text: str) -> int:
    return next(note.number for note in table.footnotes if text in note.text)


def test_markdown_round_trip_blank_and_zero(report, known):
    table = report(format="md", metrics="all").table
    text = render_markdown(table)
    cells = _markdown_cells(text, table)
    expected = _expected(table)
    for key, value in cells.items():
        if key in expected:
            assert float(NUMBER.match(value).group(1)) == round(expected[key], 1), key
        else:
            assert value == "", key  # a missing result is blank
    zs = _footnote(table, "head zero-shot")
    assert cells[(known["a"], "qa/synth-msvd-qa/acc")] == f"0.0<sup>{_footnote(table, 'head fusion transformer')}</sup>"  # a zero
    assert cells[(known["b"], "retrieval_zs/msrvtt/t2v_R@1")] == ""  # missing: blank
    assert (known["b"], "qa/synth-msvd-qa/acc") not in cells  # no qa result at all: not in that section
    assert cells[(known["b"], "retrieval_zs/synth-msrvtt/t2v_R@1")] == f"**15.0**<sup>{zs}</sup>"
    assert "train.lr" in text.split("## Runs", 1)[1].split("\n## ", 1)[0]
    assert "batch_size" not in text
    assert re.search(r"^\d+\. measured: 8 frames, 1 view, split test, head zero-shot$", text, re.M)


def test_markdown_shows_baseline_deltas(report, known):
    table = report(format="md", baseline=known["a"], metrics="all").table
    text = render_markdown(table)
    zs = _footnote(table, "head zero-shot")
    assert f"**15.0**<sup>{zs}</sup> (+3.0)" in text
    assert f"**4.0**<sup>{zs}</sup> (-1.0)" in text
    assert "measured (baseline)" in text


def test_csv_round_trip(report, known):
    table = report(format="csv", metrics="all").table
    lines = list(csv.DictReader(io.StringIO(render_csv(table))))
    expected = _expected(table)
    got = {(line["row"], f"{line['task']}/{line['dataset']}/{line['metric']}"): float(line["value"]) for line in lines}
    assert got == expected  # full precision, one line per number, none for a missing one
    zero = next(line for line in lines if line["row"] == known["a"] and line["task"] == "qa")
    assert zero["value"] == "0.0" and zero["protocol"].startswith("measured: 8 frames")
    assert {line["source"] for line in lines} == {"paper", MEASURED}
    assert "config.train.lr" in lines[0]


def test_json_round_trip(report, known):
    table = report(format="json", metrics="all", baseline=known["a"]).table
    data = json.loads(render_json(table))
    assert data["schema"] == "sviml.report/1"
    got = {(row["key"], key): cell["value"] for row in data["rows"] for key, cell in row["cells"].items()}
    assert got == _expected(table)
    columns = [c["key"] for g in data["groups"] for c in g["columns"]]
    assert columns == [c.key for c in table.columns]
    b = next(row for row in data["rows"] if row["key"] == known["b"])
    assert b["cells"]["retrieval_zs/synth-msrvtt/t2v_R@1"]["delta"] == 3.0
    assert b["config"] == {"train.lr": "0.0003"}


def test_terminal_view_shows_the_numbers(report, known):
    text = render_rich_text(report(format="json").table, width=200)
    for value in ("28.6", "15.0", "12.0", "20.0", "0.0", "sweep-a", "sweep-b", "train.lr", "head zero-shot"):
        assert value in text


def test_html_is_self_contained(report, known, tmp_path):
    from tests.core.report.helpers import write_tb

    table = report(format="json").table
    write_tb(tmp_path / "tb")
    from core.report.plots import PlotRun, plot_loss_curves

    plots = plot_loss_curves([PlotRun("r", "run", tmp_path)], tmp_path / "plots")
    page = render_html(table, plots, {"generated": "now"})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert page.count('src="data:image/png;base64,') == len(plots) == 1
    zs = _footnote(table, "head zero-shot")
    assert f'<td class="num"><strong>15.0</strong><sup><a href="#fn-{zs}">{zs}</a></sup></td>' in page
    assert f'<li id="fn-{zs}">measured: 8 frames, 1 view, split test, head zero-shot</li>' in page
