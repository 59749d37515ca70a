"""Sizes and removal of files and folders, and the guard that keeps deletion inside what sviml owns."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path


def tree_bytes(path: Path) -> int:
    """Bytes of the files under `path` (a file: its size), symbolic links not followed; 0 if absent."""
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_size if path.exists() or path.is_symlink() else 0
    except OSError:
        return 0
    total = 0
    stack = [str(path)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def human_bytes(count: int) -> str:
    """`1536` -> `1.5 KB` (powers of 1000, like `du --si`)."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def remove_path(path: Path) -> None:
    """Remove a file or a folder tree; an absent path is already removed."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies under it (both resolved)."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def touches_any(path: Path, protected: Iterable[Path]) -> Path | None:
    """A protected folder (a dataset root) that `path` is inside of or contains, if any."""
    for folder in protected:
        if is_within(path, folder) or is_within(folder, path):
            return folder
    return None
