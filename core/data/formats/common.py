"""Helpers shared by the readers: find annotation files, parse JSON and CSV with one-line errors.

Every problem with an annotation file is a `UserError` naming the file and what is wrong, so
`sviml data add` prints one clear line and registers nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

DOCS = "docs/datasets.md"


def find_file(root: Path, name: str, dirs: Sequence[str]) -> Path | None:
    """`<root>/<dir>/<name>` for the first dir (relative to root, "" = root) where it exists."""
    for folder in dirs:
        path = root / folder / name
        if path.is_file():
            return path
    return None


def require_file(kind: str, root: Path, name: str, dirs: Sequence[str]) -> Path:
    path = find_file(root, name, dirs)
    if path is None:
        where = ", ".join(f"{d}/" if d else "./" for d in dirs)
        raise UserError(f"{kind}: {name} not found under {root} (looked in {where}); see {DOCS}")
    return path


def load_json(kind: str, path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as err:
        raise UserError(f"{kind}: {path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from err
    except UnicodeDecodeError as err:
        raise UserError(f"{kind}: {path} is not UTF-8 text ({err.reason})") from err
    except OSError as err:
        raise UserError(f"{kind}: cannot read {path}: {err.strerror or err}") from err


def expect(kind: str, path: Path, condition: bool, what: str) -> None:
    """One-line UserError about `path` unless `condition` holds."""
    if not condition:
        raise UserError(f"{kind}: {path}: {what}")


def field(kind: str, path: Path, record: Any, key: str, where: str) -> Any:
    """`record[key]`, or a one-line UserError naming the record and the missing key."""
    if not isinstance(record, dict):
        raise UserError(f"{kind}: {path}: {where} is a {type(record).__name__}, expected an object")
    if key not in record:
        raise UserError(f"{kind}: {path}: {where} has no {key!r} field")
    return record[key]


def read_lines(kind: str, path: Path) -> list[str]:
    """Non-empty, stripped lines of a text file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(f"{kind}: {path} is not UTF-8 text ({err.reason})") from err
    except OSError as err:
        raise UserError(f"{kind}: cannot read {path}: {err.strerror or err}") from err
    return [line.strip() for line in text.splitlines() if line.strip()]


def sniff_delimiter(header: str) -> str:
    """`;` when the header line uses it (some public MSR-VTT copies), else `,`."""
    return ";" if header.count(";") > header.count(",") else ","


def read_csv_rows(kind: str, path: Path, delimiter: str | None = None) -> tuple[list[list[str]], str]:
    """All rows of a CSV file (cells as written, blank rows dropped) and the delimiter used."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as err:
        raise UserError(f"{kind}: {path} is not UTF-8 text ({err.reason})") from err
    except OSError as err:
        raise UserError(f"{kind}: cannot read {path}: {err.strerror or err}") from err
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = delimiter or sniff_delimiter(first)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as err:
        raise UserError(f"{kind}: {path} is not valid CSV ({err})") from err
    return [row for row in rows if any(cell.strip() for cell in row)], delimiter


def read_csv_table(
    kind: str, path: Path, required: Sequence[str], last_absorbs: bool = False
) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of a CSV file with a header, as dicts; UserError when a required column is missing
    or empty in a row. Short rows are padded with "" (optional trailing columns).

    `last_absorbs`: a row with more cells than the header joins its extra cells into the last
    column (an unquoted sentence that contains the delimiter, as some public copies have).
    Returns the rows and the header's column names.
    """
    rows, delimiter = read_csv_rows(kind, path)
    if not rows:
        raise UserError(f"{kind}: {path} is empty (expected a header with columns {', '.join(required)})")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in required if name not in header]
    if missing:
        shown = ", ".join(name or "''" for name in header)
        raise UserError(f"{kind}: {path} is missing column {', '.join(map(repr, missing))} (header: {shown})")
    table = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header) and last_absorbs:
            row = row[: len(header) - 1] + [delimiter.join(row[len(header) - 1 :])]
        row = [cell.strip() for cell in row]
        record = dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        empty = [name for name in required if not record[name]]
        if empty:
            raise UserError(f"{kind}: {path} row {number} has no {empty[0]!r} value")
        table.append(record)
    return table, header


def parse_float(kind: str, path: Path, value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise UserError(f"{kind}: {path}: {where} is {value!r}, expected a number") from err
    if number != number or number in (float("inf"), float("-inf")):
        raise UserError(f"{kind}: {path}: {where} is {value!r}, expected a finite number")
    return number


def locate(finder: VideoFinder, default_dir: str, relative: str, where: str, stems: Sequence[str] | None = None
           ) -> tuple[str, str | None]:
    """(the expected path, the file found or None) of a video named `relative` by an annotation.

    The expected path sits in the first candidate folder that exists (else `default_dir`): it is
    what a report of a missing video shows. UserError when `relative` escapes the root.
    """
    rel = safe_relative(relative, where)
    folder = finder.dirs[0] if finder.dirs else default_dir
    listed = f"{folder}/{rel.as_posix()}".lstrip("/")
    return listed, finder.find(rel, stems)


def split_number(kind: str, split: str | None) -> int:
    """The action datasets' split 1, 2 or 3 (`--split`; default 1)."""
    if split is None:
        return 1
    if split not in ("1", "2", "3"):
        raise UserError(f"{kind}: --split must be 1, 2, 3 or all, got {split!r}")
    return int(split)
