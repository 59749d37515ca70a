"""Schema constants shared by the tables and both read paths (SQLAlchemy and the stdlib reader).

Plain Python, standard library only: the fast read path (`sqlite_read.py`) must stay free of
SQLAlchemy.
"""

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        def __str__(self) -> str:
            return str(self.value)

        __format__ = str.__format__

# Bump when a table changes shape; a file written by a newer version is refused.
SCHEMA_VERSION = 1



class RunStatus(StrEnum):
    """A run's life: created `pending`, `running` with a heartbeat, then one of the three ends.

    Members are strings equal to their values, which are what the database stores.
    """

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


RUN_STATUSES = tuple(status.value for status in RunStatus)
# What `--resume` may pick up: every status but finished.
UNFINISHED = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.FAILED, RunStatus.INTERRUPTED)

# The fields of a run record as `runs ls --json` prints them.
RUN_RECORD_COLUMNS = (
    "id", "name", "recipe", "config_name", "status", "step", "max_steps", "last_metrics", "created", "started",
    "ended", "heartbeat", "parent_id", "tags", "seed", "world_size",
)
RESULT_COLUMNS = (
    "run_id", "checkpoint_id", "task", "dataset", "split", "metric", "value", "n", "protocol", "created",
)
JSON_COLUMNS = frozenset({"last_metrics", "tags", "protocol", "config", "counts", "hashes", "problems", "meta"})
TIME_COLUMNS = frozenset({"created", "started", "ended", "heartbeat", "verified_at"})

@dataclass(frozen=True)
class RunFilter:
    """Which runs a listing shows (every field optional; all given ones must hold)."""

    recipe: str | None = None
    status: str | None = None
    name_like: str | None = None  # an SQL LIKE pattern on the run's name (`%` any text, `_` one character)
    limit: int | None = None  # the newest N


# A running run whose heartbeat is older than this is shown as stale (its process died).
STALE_AFTER = timedelta(minutes=3)


def shown_status(run: Mapping[str, Any], now: datetime | None = None) -> str:
    """The status to show for a run record: a `running` run without a recent heartbeat is `stale`."""
    if run["status"] != RunStatus.RUNNING:
        return run["status"]
    last = run.get("heartbeat") or run.get("started") or run["created"]
    return "stale" if (now or datetime.now(timezone.utc)) - last > STALE_AFTER else RunStatus.RUNNING.value
