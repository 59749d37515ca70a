"""The progress callback the data functions accept: `progress(step, done, total)`.

`step` names the work ("hashing annotations"), `done` counts units finished, `total` is the
number of units or None when unknown. The CLI turns it into a rich progress bar; code that
does not care passes None.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, "int | None"], None]


def report(progress: Progress | None, step: str, done: int, total: int | None) -> None:
    if progress is not None:
        progress(step, done, total)
