"""One run, one owner: the lease a launcher holds while a run's workers live.

A run's workers must never run twice. `claim` is called by the launcher (`sviml run`, in process
or before it starts torchrun) and refuses a run whose lease holder or workers are still alive,
naming the host and pid and how to stop them; a lease whose processes are all gone (a killed
launcher whose workers finished their final checkpoint, a crashed node) is taken over with a
message. Liveness:

- a process on this host is alive when its pid exists with the same start time (a recycled pid
  is not the same process);
- processes on another host cannot be checked from here: they count as alive while the run's
  heartbeat (rank 0 beats at least every `core.train.lifecycle.BEAT_EVERY_S`) is younger than
  `REMOTE_TIMEOUT`.

Workers watch their launcher too (`core.train.watchdog`): when it dies they stop at the next step
boundary with a final checkpoint, so a closed SSH session or an OOM-killed `sviml` never leaves
workers training on their own.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import psutil

from core.errors import UserError
from core.registry.tables import RunLease

if TYPE_CHECKING:
    from core.registry import Registry, Run

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


def claim(registry: Registry, run: Run, say: Callable[[str], None] | None = None) -> ProcessId:
    """Take `run`'s lease for this process; a `UserError` while another owner's processes live."""
    me = ProcessId.this()
    previous = registry.get_lease(run.id)
    owner = live_owner(previous, run)
    if owner is not None:
        raise UserError(f"run {run.id} has live workers on {owner}: stop them with `sviml runs stop {run.id}` "
                        "(or wait for them to end), then resume")
    lease = RunLease(run_id=run.id, host=me.host, pid=me.pid, pid_started=me.started)
    if not registry.put_lease(lease, previous):
        raise UserError(f"run {run.id} was just claimed by another launcher: see `sviml runs show {run.id}`")
    if previous is not None and say is not None:
        say(f"run {run.id}: taking over the lease of host {previous.host} (pid {previous.pid}), whose processes "
            "are gone")
    return me


def release(registry: Registry, run_id: str, owner: ProcessId) -> None:
    registry.release_lease(run_id, owner.host, owner.pid)


def stop_run(registry: Registry, run: Run) -> list[ProcessId]:
    """Ask `run`'s workers to stop after a final checkpoint; returns the processes asked.

    The request is recorded in the registry, where rank 0 sees it within seconds on any host
    (`core.train.lifecycle.STOP_POLL_S`); workers on this host also get SIGTERM at once, which they
    treat the same way (a run trained in process is its own worker). A `UserError` when nothing lives.
    """
    lease = registry.get_lease(run.id)
    if live_owner(lease, run) is None:
        raise UserError(f"run {run.id} has no live workers (status {run.status}): nothing to stop")
    registry.request_stop(run.id)
    asked = []
    for process in lease_processes(lease)[1:] or lease_processes(lease):
        if process.alive_here():
            os.kill(process.pid, signal.SIGTERM)
        asked.append(process)
    return asked
