"""`<home>/deletions.log`: one line per thing deleted, appended, so that a deletion can be accounted for."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from core.housekeeping.disk import human_bytes


def log_deletion(log_file: Path, what: str, target: str, size: int | None = None) -> None:
    """Append `<UTC time> <what> <target> [<size>]` to the log (created with its folder)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{stamp} {what} {target}" + (f" ({human_bytes(size)})" if size is not None else "") + "\n"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a", encoding="utf-8") as handle:
        handle.write(line)
