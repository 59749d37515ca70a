"""Number formatting shared by the renderers, so that every format shows the same digits.

Values are percent (or ranks) with one decimal, like the paper. A present 0.0 prints `0.0`; a
missing result is never formatted at all (renderers leave the cell blank).
"""

from __future__ import annotations

from core.report.table_model import Cell, Column, Row

DIGITS = 1
_SUPERSCRIPT = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")


def format_number(value: float, digits: int = DIGITS) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0"


def format_delta(delta: float, digits: int = DIGITS) -> str:
    text = format_number(delta, digits)
    return text if text.startswith("-") else f"+{text}"


def delta_is_better(delta: float, column: Column) -> bool | None:
    """True if the change improves the metric (respecting lower-is-better), None for no change."""
    if abs(delta) < 0.5 * 10 ** -DIGITS:
        return None
    return (delta < 0) if column.lower_is_better else (delta > 0)


def cell_text(cell: Cell, row: Row) -> str:
    """The number as shown, without markup: `31.2`, for an ablation mean `24.1 ± 0.3 (n=2)`, for a
    paired difference `+3.0 ± 0.6 SE (>2 SE)` or `+3.0 (n=1, no SE)`."""
    if row.paired_with is not None:
        return paired_text(cell, row)
    text = format_number(cell.value)
    if cell.std is not None:
        text += f" ± {format_number(cell.std)}"
    return text + _count_note(cell, row)


def _count_note(cell: Cell, row: Row) -> str:
    """` (n=2)` where fewer runs (or seed pairs) stand behind this cell than the row's `runs`."""
    runs = row.fields.get("runs", "")
    return f" (n={cell.count})" if cell.count is not None and runs.isdigit() and cell.count < int(runs) else ""


def paired_text(cell: Cell, row: Row) -> str:
    """A paired difference: signed mean ± standard error, `(>2 SE, t=+2.01)` when it is a finding.

    t (mean / SE, two decimals) is shown because the rounded mean and SE can read as under 2 SE
    (`+2.5 ± 1.3` is t = 2.01), and because with few seeds a reader wants it against the t table
    (n=5: 2.78 for 95%)."""
    text = format_delta(cell.value)
    if cell.se is None:
        return f"{text} (n=1, no SE)"
    text += f" ± {format_number(cell.se)} SE"
    if cell.verdict in ("better", "worse"):
        text += f" (>2 SE, t={cell.value / cell.se:+.2f})" if cell.se > 0 else " (>2 SE: every seed the same)"
    return text + _count_note(cell, row)


def verdict_is_better(cell: Cell) -> bool | None:
    """A paired cell's verdict as better (True) / worse (False) / neither (None), for colouring."""
    return {"better": True, "worse": False}.get(cell.verdict or "")


def superscript(number: int) -> str:
    return str(number).translate(_SUPERSCRIPT)


def column_label(column: Column) -> str:
    """`t2v_R@1`, or `t2v_MdR ↓` for a metric where lower is better."""
    return f"{column.metric} ↓" if column.lower_is_better else column.metric


def source_label(row: Row) -> str:
    if row.baseline:
        return f"{row.source} (baseline)"
    return row.source


def legend(table_has_baseline: bool) -> str:
    """How to read a table, printed under its title in every human format."""
    text = ("Bold: the best measured value in its column (↓: lower is better). Superscripts point to "
            "footnotes that say how each number was measured. A blank cell has no result.")
    if table_has_baseline:
        text += " (±x.x): change against the baseline run."
    return text


def identity_headers(table_kind: str, show_source: bool) -> list[str]:
    """The first columns of every table: where a row comes from and what it is."""
    label = "run" if table_kind == "results" else "variant"
    return ["source", label] if show_source else [label]
