"""A fast read path for SQLite registries using only the standard library.

Why: importing SQLModel + SQLAlchemy costs ~0.4 s and building ORM objects ~30 us a row, which
would make `sviml runs ls` over 10,000 runs take about a second and a 200,000-row results
query several. Listing runs and querying results are the two reads that grow with a team's
history, so they get this path; everything else (and every write) goes through `api.Registry`.
`open_reader(url)` picks this reader for an existing SQLite file and falls back to `Registry`
(same methods, same records) for other databases. A test checks both give identical records.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from core.errors import UserError
from core.registry.schema import (
    JSON_COLUMNS,
    RESULT_COLUMNS,
    RUN_RECORD_COLUMNS,
    SCHEMA_VERSION,
    TIME_COLUMNS,
    RunFilter,
)

if TYPE_CHECKING:
    from core.registry.api import Registry


def _decode_json_column(values: tuple[str | None, ...]) -> list[Any]:
    # One json.loads over the whole column: ~5x faster than a call per row on 200,000 rows.
    return json.loads("[" + ",".join("null" if v is None else v for v in values) + "]")


def _decode_time_column(values: tuple[str | None, ...]) -> list[datetime | None]:
    # SQLAlchemy stores naive UTC text; records carry aware UTC datetimes like the ORM's.
    utc = timezone.utc
    return [None if v is None else datetime.fromisoformat(v).replace(tzinfo=utc) for v in values]


def _in(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`column IN (?, ?, ...)` and its parameters."""
    params = list(values)
    return f"{column} IN ({','.join('?' * len(params))})", params


class SqliteReader:
    """Read-only queries on an existing SQLite registry file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            self._conn.execute("PRAGMA busy_timeout = 30000")
            row = self._conn.execute("SELECT version FROM schema_info WHERE id = 1").fetchone()
        except sqlite3.DatabaseError as err:
            raise UserError(f"registry {path} is not a readable SQLite database (corrupt?): {err}") from err
        if row and row[0] > SCHEMA_VERSION:
            raise UserError(
                f"registry {path} was written by a newer sviml (schema {row[0]} > {SCHEMA_VERSION}): "
                "upgrade sviml to open it"
            )

    def _select(self, table: str, columns: tuple[str, ...], where: list[tuple[str, list[Any]]], order: str,
                limit: int | None = None) -> list[dict[str, Any]]:
        """Rows of `table` where every (SQL clause, its parameters) holds, JSON and time columns decoded."""
        params = [param for _, clause_params in where for param in clause_params]
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(clause for clause, _ in where)
        sql += f" ORDER BY {order}"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        try:
            rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as err:
            raise UserError(f"registry {self.path}: {err}") from err
        if not rows:
            return []
        by_column: list[Any] = list(zip(*rows, strict=True))
        for i, name in enumerate(columns):
            if name in JSON_COLUMNS:
                by_column[i] = _decode_json_column(by_column[i])
            elif name in TIME_COLUMNS:
                by_column[i] = _decode_time_column(by_column[i])
        records = [dict(zip(columns, row, strict=True)) for row in zip(*by_column, strict=True)]
        return records

    def run_records(self, query: RunFilter = RunFilter()) -> list[dict[str, Any]]:
        """Runs as plain dicts, newest first (as `Registry.run_records`)."""
        where = [(clause, [value]) for clause, value in (("recipe = ?", query.recipe),
                                                          ("status = ?", query.stored_status),
                                                          ("name LIKE ?", query.name_like)) if value]
        for key, value in query.tags:
            # Narrow in SQL (text tags equal, or tags of other JSON types that `accepts` then decides):
            # listing a tag over 10,000 runs then decodes only the matching rows.
            path = f'$."{key}"'
            where.append(("(json_extract(tags, ?) = ? OR json_type(tags, ?) <> 'text')", [path, value, path]))
        records = self._select("run", RUN_RECORD_COLUMNS, where, "created DESC, id DESC",
                               None if query.needs_python else query.limit)
        return query.keep(records)

    def run_details(self, run_ids: Iterable[str]) -> list[dict[str, Any]]:
        """`id`, `config` and `run_dir` of the given runs (run records leave the config out, for speed)."""
        wanted = list(dict.fromkeys(run_ids))
        details: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 500):  # SQLite caps the number of bound parameters
            chunk = tuple(wanted[start:start + 500])
            details += self._select("run", ("id", "config", "run_dir"), [_in("id", chunk)], "id")
        return details

    def query_results(self, run_ids: Iterable[str] | None = None, tasks: Iterable[str] | None = None,
                      datasets: Iterable[str] | None = None) -> list[dict[str, Any]]:
        where = [_in(column, values) for column, values in (("run_id", run_ids), ("task", tasks), ("dataset", datasets))
                 if values is not None]
        return self._select("eval_result", RESULT_COLUMNS, where, "id ASC")

    def close(self) -> None:
        self._conn.close()


def sqlite_file(url: str) -> Path | None:
    """The file behind a `sqlite:///path` URL, or None for any other database."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = unquote(url[len(prefix):].split("?", 1)[0])
    return Path(path) if path and path != ":memory:" else None


def open_reader(url: str) -> SqliteReader | Registry:
    """The fastest reader for `url`: the stdlib one for an existing SQLite file, else the Registry."""
    path = sqlite_file(url)
    if path is not None and path.is_file():
        return SqliteReader(path)
    from core.registry.api import Registry

    return Registry(url)
