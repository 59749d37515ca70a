"""Expected library chatter goes to the run's log file; the terminal keeps sviml's own progress.

DeepSpeed warns through its `DeepSpeed` logger, whose handler prints to stdout ("Setting accelerator
to CPU...", "Attempting to get learning rate from scheduler before it has started" on every run), and
prints a line whenever it loads its shared-memory op. A filter on that logger (it acts before any
handler, so it also catches what DeepSpeed logs while it is being imported) hands records below ERROR
to the run's log instead; errors still reach the terminal. Until a run's log is open (the process
group is joined before the log), records wait in a short buffer, written into the log once it opens.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

LIBRARY_LOGGERS = ("DeepSpeed",)
BUFFER_LIMIT = 200  # records kept while no run log is open; older ones are dropped


class RunLogDiversion(logging.Filter):
    """Diverts library records below ERROR into the run log (or a buffer until one is attached)."""

    def __init__(self) -> None:
        super().__init__()
        self.target: logging.Logger | None = None
        self.buffer: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        self.write(record)
        return False

    def write(self, record: logging.LogRecord) -> None:
        # Say whose line it is: the run log's format shows the message, not the logger's name.
        record.msg, record.args = f"[{record.name}] {record.getMessage()}", None
        if self.target is not None:
            self.target.handle(record)
        else:
            self.buffer = [*self.buffer[-(BUFFER_LIMIT - 1):], record]

    def write_text(self, text: str, source: str) -> None:
        """Lines a library printed, as records of `source`."""
        for line in text.splitlines():
            if line.strip():
                self.write(logging.LogRecord(source, logging.INFO, source, 0, line.strip(), None, None))

    def attach(self, log: logging.Logger) -> None:
        """From now on into `log`, starting with what waited in the buffer."""
        self.target = log
        buffered, self.buffer = self.buffer, []
        for record in buffered:
            log.handle(record)

    def detach(self) -> None:
        self.target = None
        self.buffer = []


# One per process: the library loggers are process-wide too.
DIVERSION = RunLogDiversion()


def divert_library_logs() -> RunLogDiversion:
    """Install the diversion on the library loggers (idempotent; call before importing DeepSpeed)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if DIVERSION not in logger.filters:
            logger.addFilter(DIVERSION)
    return DIVERSION


@contextlib.contextmanager
def library_prints(source: str) -> Iterator[None]:
    """What a library prints to `sys.stdout` meanwhile goes to the run log as records of `source`."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        DIVERSION.write_text(captured.getvalue(), source)
