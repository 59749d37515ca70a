"""Workers stop when their launcher is gone.

torchrun and DeepSpeed's launcher start workers that outlive a SIGKILLed `sviml run` (they run
in their own session): a closed SSH session, an OOM kill of the parent or a `kill -9` would leave
them training, unseen and unstoppable by `--resume`. Each worker started by a launcher therefore
watches it (the launcher's pid and start time come in `SVIML_LAUNCHER`): when the launcher, or
the worker's own parent (torchrun), disappears, the worker asks its run to stop, which every rank
honours at the next step boundary with a final checkpoint (`StopRequest`), and the run ends
`interrupted`. A watchdog thread, not a parent-death signal, so the stop is the same graceful one
as Ctrl-C.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable

from core.train.ownership import ProcessId

LAUNCHER_ENV = "SVIML_LAUNCHER"  # "<host>:<pid>:<start time>" of the launching `sviml run`
POLL_S = 1.0


def launcher_env(launcher: ProcessId) -> dict[str, str]:
    """What a launcher puts in its workers' environment."""
    return {LAUNCHER_ENV: f"{launcher.host}:{launcher.pid}:{launcher.started!r}"}


def launcher_from_env() -> ProcessId | None:
    text = os.environ.get(LAUNCHER_ENV)
    if not text:
        return None
    host, pid, started = text.rsplit(":", 2)
    return ProcessId(host, int(pid), float(started))


def watch_launcher(on_gone: Callable[[], None], launcher: ProcessId) -> threading.Thread:
    """Start a daemon thread that calls `on_gone()` once the launcher or this process's parent is gone.

    A launcher on another host (DeepSpeed's pdsh path) cannot be checked from here: only the parent is.
    """
    parent = os.getppid()
    local = launcher.host == socket.gethostname()

    def watch() -> None:
        while True:
            gone = os.getppid() != parent or (local and not launcher.alive_here())
            if gone:
                on_gone()
                return
            time.sleep(POLL_S)

    thread = threading.Thread(target=watch, name="sviml-launcher-watchdog", daemon=True)
    thread.start()
    return thread
