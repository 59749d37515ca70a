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
    """The number as shown, without markup: `31.2`, or for an ablation mean `24.1 ± 0.3 (n=2)`."""
    text = format_number(cell.value)
    if cell.std is not None:
        text += f" ± {format_number(cell.std)}"
    runs = row.fields.get("runs", "")
    if cell.count is not None and runs.isdigit() and cell.count < int(runs):
        text += f" (n={cell.count})"
    return text


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
