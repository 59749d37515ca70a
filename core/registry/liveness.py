"""Is anyone still working on a run? What `--resume`, deletion and `runs stop` ask before acting.

A run trained by `sviml run` has an owner lease (`RunLease`: the launcher and every worker, by host,
pid and start time). Its processes are alive:
- on this host, when the pid exists with the same start time (a recycled pid is another process);
- on another host, which cannot be checked from here, while the run's heartbeat (rank 0 beats at
  least every 30 s) is younger than `REMOTE_TIMEOUT`.
A run without a lease (started by hand with `python -m recipes.NAME`, or before leases existed) is
judged by its row: `running` with a recent heartbeat (`schema.shown_status`), or `pending` and
created moments ago (its processes are starting).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import psutil

from core.registry.schema import STALE_AFTER, RunStatus, shown_status

if TYPE_CHECKING:
    from core.registry import Registry, Run
    from core.registry.tables import RunLease

REMOTE_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class ProcessId:
    """A process, across pid reuse: host, pid and start time (epoch seconds)."""

    host: str
    pid: int
    started: float

    @classmethod
    def this(cls) -> ProcessId:
        return cls.of(os.getpid())

    @classmethod
    def of(cls, pid: int) -> ProcessId:
        return cls(socket.gethostname(), pid, psutil.Process(pid).create_time())

    def alive_here(self) -> bool:
        """Whether this process, on this host, still runs (False for another host's)."""
        if self.host != socket.gethostname():
            return False
        try:
            return abs(psutil.Process(self.pid).create_time() - self.started) < 1.0
        except psutil.NoSuchProcess:
            return False

    def as_record(self, rank: int) -> dict[str, Any]:
        return {"rank": rank, "host": self.host, "pid": self.pid, "started": self.started}


def lease_processes(lease: RunLease) -> list[ProcessId]:
    """The launcher and every recorded worker of `lease`."""
    workers = [ProcessId(w["host"], int(w["pid"]), float(w["started"])) for w in lease.workers or []]
    return [ProcessId(lease.host, lease.pid, lease.pid_started), *workers]


def live_owner(lease: RunLease | None, run: Run, now: datetime | None = None) -> str | None:
    """`host H (pid P)` of a live process of the lease, or None when the lease is free to take."""
    if lease is None:
        return None
    here = socket.gethostname()
    for process in lease_processes(lease):
        if process.host == here and process.alive_here():
            return f"host {process.host} (pid {process.pid})"
    remote = [p for p in lease_processes(lease) if p.host != here]
    if remote:
        beat = run.heartbeat or run.started or run.created
        if beat.tzinfo is None:
            beat = beat.replace(tzinfo=timezone.utc)
        if (now or datetime.now(timezone.utc)) - beat < REMOTE_TIMEOUT:
            first = remote[0]
            return f"host {first.host} (pid {first.pid}, heartbeat {beat:%H:%M:%S} UTC)"
    return None




def run_is_alive(registry: Registry, run: Run, now: datetime | None = None) -> str | None:
    """None when no process can be working on `run`; else one line saying so and how to stop it."""
    now = now or datetime.now(timezone.utc)
    lease = registry.get_lease(run.id)
    if lease is not None:
        owner = live_owner(lease, run, now)
        return None if owner is None else (f"run {run.id} has live workers on {owner}: stop them with "
                                           f"`sviml runs stop {run.id}` (or wait for them to end)")
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
