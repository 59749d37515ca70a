"""Schema constants shared by the tables and both read paths (SQLAlchemy and the stdlib reader).

Plain Python, standard library only: the fast read path (`sqlite_read.py`) must stay free of
SQLAlchemy.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

# Bump when a table changes shape; a file written by a newer version is refused.
SCHEMA_VERSION = 1

RUN_STATUSES = ("pending", "running", "finished", "failed", "interrupted")

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

# A running run whose heartbeat is older than this is shown as stale (its process died).
STALE_AFTER = timedelta(minutes=3)


def shown_status(run: Mapping[str, Any], now: datetime | None = None) -> str:
    """The status to show for a run record: a `running` run without a recent heartbeat is `stale`."""
    if run["status"] != "running":
        return run["status"]
    last = run.get("heartbeat") or run.get("started") or run["created"]
    return "stale" if (now or datetime.now(timezone.utc)) - last > STALE_AFTER else "running"
