"""Is anyone still working on a run? The one question deletion asks before touching a run.

Today the answer comes from the run's row: a `running` run with a recent heartbeat (see
`schema.shown_status`) is alive, and so is a `pending` run created moments ago (its processes are
starting). An owner lease (host, pids, heartbeat) will answer it more exactly; it replaces the body
of `run_is_alive`, and every caller stays as it is.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from core.registry.schema import STALE_AFTER, RunStatus, shown_status

if TYPE_CHECKING:
    from core.registry import Registry, Run


def run_is_alive(registry: Registry, run: Run, now: datetime | None = None) -> str | None:
    """None when no process can be working on `run`; else one line saying so and how to stop it."""
    del registry  # the lease will be read from it
    now = now or datetime.now(timezone.utc)
    record = {"status": run.status, "heartbeat": run.heartbeat, "started": run.started, "created": run.created}
    if run.status == RunStatus.PENDING and now - run.created <= STALE_AFTER:
        state = "starting"
    elif shown_status(record, now) == RunStatus.RUNNING:
        state = "running"
    else:
        return None
    last = run.heartbeat or run.created
    seconds = int((now - last).total_seconds())
    minutes = int(STALE_AFTER.total_seconds() // 60)
    return (f"run {run.id} is {state} on {run.host or 'an unknown host'} (last sign of life {seconds} s ago): "
            f"stop it first (Ctrl-C in its terminal, or SIGTERM to its processes on that host); a run whose "
            f"processes died is shown `stale` {minutes} minutes after its last heartbeat")
