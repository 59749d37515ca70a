"""Paths named by annotations: refuse those that escape the root, find videos among layout variants.

Annotation paths are checked lexically (absolute paths and `..` are refused) and never through
`realpath`: a user may symlink a videos folder into the dataset root, which is legitimate.

`VideoFinder` looks for a video in a list of candidate folders and under several extensions
(a listed `.avi` found as `.mp4`, ...), or as a folder of frames named like the video without its
extension (`video7/img_00001.jpg`, MMAction2's rawframes). It lists each folder once and answers
from that listing, so resolving millions of samples costs set lookups, not millions of `stat` calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from core.errors import UserError

FRAME_FOLDER = "/"  # the listing's marker of a sub-folder (a video stored as frames)
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp", ".ogv")


def safe_relative(path: str, where: str) -> PurePosixPath:
    """`path` as a normalised relative path; UserError when it is absolute or climbs out with `..`."""
    text = path.strip().replace("\\", "/")
    if not text:
        raise UserError(f"{where}: empty video path")
    pure = PurePosixPath(text)
    if pure.is_absolute() or PureWindowsPath(path.strip()).drive:
        raise UserError(f"{where}: video path {path!r} is absolute; paths must be relative to the dataset root")
    parts: list[str] = []
    for part in pure.parts:
        if part == "..":
            if not parts:
                raise UserError(f"{where}: video path {path!r} escapes the dataset root")
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not parts:
        raise UserError(f"{where}: video path {path!r} names no file")
    return PurePosixPath(*parts)


def is_within(path: Path, root: Path) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(root)]) == os.path.abspath(root)


class VideoFinder:
    """Find `<dir>/<relative path>` for the first candidate dir and extension that exist.

    `base` is the folder the answers are relative to; `dirs` are candidate folders relative to it
    ("" is `base` itself), tried in order; missing candidates are skipped.
    """

    def __init__(self, base: Path, dirs: Sequence[str], extensions: Sequence[str] = VIDEO_EXTENSIONS):
        self.base = base
        self.dirs = [d for d in dirs if (base / d).is_dir()]
        self.extensions = tuple(extensions)
        self._listings: dict[str, dict[str, set[str]]] = {}

    def _listing(self, folder: str) -> dict[str, set[str]]:
        """stem -> the extensions (lower case) present in `folder`, and the real name of each."""
        if folder not in self._listings:
            names: dict[str, set[str]] = {}
            try:
                with os.scandir(self.base / folder) as entries:
                    for entry in entries:
                        if entry.is_dir():
                            names.setdefault(entry.name, set()).add(FRAME_FOLDER)
                            continue
                        stem, ext = os.path.splitext(entry.name)
                        names.setdefault(stem, set()).add(ext)
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                pass
            self._listings[folder] = names
        return self._listings[folder]

    def find(self, relative: str | PurePosixPath, stems: Iterable[str] | None = None) -> str | None:
        """The first existing file for `relative` (any of `stems` in its folder, any extension), or
        a frame folder of that name when a folder has no such file.

        `relative` gives the folder and the preferred extension; `stems` (default: its own stem)
        are alternative file names without extension, tried in order.
        """
        rel = PurePosixPath(relative)
        parent = "" if str(rel.parent) == "." else rel.parent.as_posix()
        preferred = rel.suffix
        candidates = list(stems) if stems is not None else [rel.stem if preferred else rel.name]
        order = [preferred] if preferred else []
        order += [ext for ext in self.extensions if ext != preferred]
        for folder in self.dirs:
            sub = f"{folder}/{parent}".strip("/") if parent else folder
            listing = self._listing(sub)
            for stem in candidates:
                present = listing.get(stem)
                if not present:
                    continue
                for ext in order:
                    match = ext if ext in present else next((p for p in present if p.lower() == ext), None)
                    if match is not None:
                        return f"{sub}/{stem}{match}".lstrip("/")
            for stem in candidates:
                if FRAME_FOLDER in listing.get(stem, ()):
                    return f"{sub}/{stem}".lstrip("/")
        return None
