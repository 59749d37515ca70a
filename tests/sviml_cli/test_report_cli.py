"""`sviml report` end to end: the paper's rows on an empty home, files written, one-line errors."""

from __future__ import annotations

import csv
import io


def _one_line_error(out) -> str:
    assert out.returncode == 2, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_empty_home_shows_the_paper_rows(sviml):
    out = sviml("report")
    assert out.returncode == 0, out.stderr
    for text in ("S-ViLM (paper)", "28.6", "65.1", "94.8", "35.6", "No measured results yet"):
        assert text in out.stdout


def test_unknown_run_and_bad_format(sviml):
    assert "no run with id 'nope'" in _one_line_error(sviml("report", "--runs", "nope"))
    assert "unknown format 'pdf'" in _one_line_error(sviml("report", "--format", "pdf"))


def test_files_from_a_filled_registry(sviml, registry, home, tmp_path):
    from tests.core.report.helpers import fill_known

    ids = fill_known(registry, home)
    md = tmp_path / "x.md"
    out = sviml("report", "--format", "md", "--out", str(md), "--baseline", ids["a"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and f"wrote {md}" in out.stderr
    text = md.read_text()
    assert "S-ViLM (paper)" in text and "sweep-a" in text and "(+3.0)" in text

    out = sviml("report", "--format", "csv", "--runs", f"{ids['a']},{ids['b']}", "--tasks", "qa", "--paper", "none")
    assert out.returncode == 0, out.stderr
    lines = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(line["row"], line["value"]) for line in lines] == [(ids["a"], "0.0")]

    out = sviml("report", "--format", "html")
    assert out.returncode == 0, out.stderr
    page = (home / "report" / "report.html").read_text()
    assert "28.6" in page and "sweep-b" in page
