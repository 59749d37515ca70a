"""Output for people (rich tables) and for scripts (`--json`, always valid JSON, `[]` when empty)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import typer

# The `--json` switch of every list, show and report command: machine-readable output on stdout.
JSON_OUTPUT = typer.Option(False, "--json", help="Print JSON for scripts.")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def print_json(value: Any) -> None:
    """A list prints one compact record per line (fast: the C encoder; easy to grep), `[]` when
    empty; a single object prints indented for reading."""
    if isinstance(value, list):
        if not value:
            sys.stdout.write("[]\n")
            return
        lines = ",\n".join(json.dumps(item, default=_default) for item in value)
        sys.stdout.write(f"[\n{lines}\n]\n")
        return
    sys.stdout.write(json.dumps(value, default=_default, indent=2) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], empty: str) -> None:
    """A rich table, or the `empty` message when there are no rows."""
    from rich.console import Console
    from rich.table import Table

    rows = list(rows)
    console = Console()
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def print_error(message: str) -> None:
    """One line on stderr: what a user-caused error looks like."""
    first_line = " ".join(str(message).split())
    sys.stderr.write(f"sviml: error: {first_line}\n")


@contextlib.contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr; yields `advance()`, to call once per item done."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(file=sys.stderr), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)
