"""Terminal plumbing: keep stdout for what a command prints (tables, `--json`).

DeepSpeed prints to stdout (its logger's handler holds the original stream, and op builds print
from C++), so redirecting `sys.stdout` is not enough: `stdout_to_stderr` moves file descriptor 1.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 to stderr meanwhile (a training run's chatter
    belongs on stderr; `--json` output must stay clean)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
