"""One run, one owner: the lease a launcher holds while a run's workers live.

A run's workers must never run twice. `claim` is called by the launcher (`sviml run`, in process
or before it starts torchrun) and refuses a run whose lease holder or workers are still alive,
naming the host and pid and how to stop them; a lease whose processes are all gone (a killed
launcher whose workers finished their final checkpoint, a crashed node) is taken over with a
message. Liveness is `core.registry.liveness`'s (what deletion asks too).

Workers watch their launcher too (`core.train.watchdog`): when it dies they stop at the next step
boundary with a final checkpoint, so a closed SSH session or an OOM-killed `sviml` never leaves
workers training on their own.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import UserError
from core.registry.liveness import ProcessId, lease_processes, live_owner
from core.registry.tables import RunLease

if TYPE_CHECKING:
    from core.registry import Registry, Run


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
