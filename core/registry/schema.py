"""Schema constants shared by the tables and both read paths (SQLAlchemy and the stdlib reader).

Plain Python, standard library only: the fast read path (`sqlite_read.py`) must stay free of
SQLAlchemy.
"""

import fnmatch
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from core.errors import UserError
from core.registry.tags import tag_matches

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        def __str__(self) -> str:
            return str(self.value)

        __format__ = str.__format__

# Bump when a table changes shape; a file written by a newer version is refused.
# New tables (notes, pending deletions) are not a change of shape: an older sviml ignores them.
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
# What a listing shows and filters on: a `running` run whose heartbeat stopped is `stale`.
SHOWN_STATUSES = (*RUN_STATUSES, "stale")
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
    """Which runs a listing shows (every field optional; all given ones must hold).

    Both read paths (the SQLAlchemy `Registry` and the stdlib `SqliteReader`) narrow in SQL what SQL
    can decide and then keep the records `accepts` accepts, so they agree by construction: the status
    shown (a `stale` run is stored as `running`), shell-style name globs and tag values are decided here.
    """

    recipe: str | None = None
    status: str | None = None  # a shown status: one of RUN_STATUSES or `stale`
    name_like: str | None = None  # an SQL LIKE pattern on the run's name (`%` any text, `_` one character)
    name_glob: str | None = None  # a shell-style pattern on the run's name (`sweep-*`), case-sensitive
    tags: tuple[tuple[str, str], ...] = ()  # (key, value) pairs that must all match (`tag_matches`)
    limit: int | None = None  # the newest N

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in SHOWN_STATUSES:
            raise UserError(f"unknown status {self.status!r}; one of {', '.join(SHOWN_STATUSES)}")
        if self.limit is not None and self.limit < 1:
            raise UserError(f"the number of runs must be positive, got {self.limit}")

    @property
    def stored_status(self) -> str | None:
        """The status column value SQL can filter on (`stale` runs are stored as `running`)."""
        return RunStatus.RUNNING.value if self.status == "stale" else self.status

    @property
    def needs_python(self) -> bool:
        """Whether `accepts` decides more than SQL did (then the limit applies after it)."""
        return bool(self.tags or self.name_glob or self.status == RunStatus.RUNNING or self.status == "stale")

    def accepts(self, record: Mapping[str, Any], now: datetime | None = None) -> bool:
        """The part of the filter SQL leaves to Python, on a run record (its `tags`, `name`, status)."""
        if self.status is not None and shown_status(record, now) != self.status:
            return False
        if self.name_glob is not None and not fnmatch.fnmatchcase(record.get("name") or "", self.name_glob):
            return False
        return all(tag_matches(record.get("tags"), key, value) for key, value in self.tags)

    def keep(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`records` (newest first, SQL-filtered without the limit when `needs_python`) as the listing shows them."""
        if self.needs_python:
            now = datetime.now(timezone.utc)
            records = [record for record in records if self.accepts(record, now)]
        return records[:self.limit] if self.limit else records


# A running run whose heartbeat is older than this is shown as stale (its process died).
STALE_AFTER = timedelta(minutes=3)


def shown_status(run: Mapping[str, Any], now: datetime | None = None) -> str:
    """The status to show for a run record: a `running` run without a recent heartbeat is `stale`."""
    if run["status"] != RunStatus.RUNNING:
        return run["status"]
    last = run.get("heartbeat") or run.get("started") or run["created"]
    return "stale" if (now or datetime.now(timezone.utc)) - last > STALE_AFTER else RunStatus.RUNNING.value
