"""What the benchmark scripts share: the machine line every BENCHMARKS.md entry starts with, a
Markdown table printer, and best-of-N timing of whole commands (process start included)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.registry import Registry


def machine_line(command: str) -> str:
    """`machine: x86_64, 2 cores, Python 3.11.7; date 2026-11-29; command: ...`."""
    return (f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"date {datetime.date.today()}; command: {command}")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, cells as given (format them first)."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def best_of(command: list[str], env: dict[str, str], cwd: Path | None = None, repeat: int = 3) -> float:
    """The fastest of `repeat` runs of `command`, in seconds (its output discarded)."""
    return best_of_with_cpu(command, env, cwd, repeat)[0]


def best_of_with_cpu(command: list[str], env: dict[str, str], cwd: Path | None = None,
                     repeat: int = 3) -> tuple[float, float]:
    """(fastest wall-clock seconds, least CPU seconds: user + system) of `repeat` runs of `command`.
    CPU time barely moves when other jobs share the cores; wall-clock time does."""
    import resource

    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def bulk_insert(registry: Registry, runs: list[dict[str, Any]], results: list[dict[str, Any]],
                checkpoints: list[dict[str, Any]] | None = None) -> None:
    """Rows straight into the registry's tables in one transaction: filling is not what is measured."""
    from sqlalchemy import insert

    from core.registry import Checkpoint, EvalResult, Run

    with registry._writer.begin() as conn:
        conn.execute(insert(Run), runs)
        conn.execute(insert(EvalResult), results)
        if checkpoints:
            conn.execute(insert(Checkpoint), checkpoints)
