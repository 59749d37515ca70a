"""A bounded on-disk cache of decoded clips (uint8 arrays), shared by every worker process.

Decoding dominates the loader's cost; with deterministic frame sampling the same clip is decoded
every epoch. The cache stores the decoded frames (before any random crop) as `.npy` files keyed
by (file path, size, mtime, window, frames, sampling): a changed file gets a new key. Reading one
back costs a page-cache read instead of a decode. Writes are atomic (temp file + rename), so
concurrent workers never see half a file.

Bound: a process stops adding once the folder's size, as it last counted it (at its first write,
then every `RECOUNT` writes) plus its own writes since, reaches `max_bytes`; W workers may
overshoot by at most W x RECOUNT clips. Nothing is evicted: delete the folder to reset it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

RECOUNT = 256


class ClipCache:
    def __init__(self, directory: str | Path, max_bytes: int = 4 << 30):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._used: int | None = None
        self._writes = 0
        self.hits = 0
        self.misses = 0

    def key(self, path: str | Path, *parts: object) -> str | None:
        """The key of a clip of `path` sampled as `parts` describe; None when the file is missing."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        text = "\0".join(map(str, (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, *parts)))
        return hashlib.sha1(text.encode()).hexdigest()

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.npy"

    def get(self, key: str | None) -> np.ndarray | None:
        if key is None:
            return None
        try:
            frames = np.load(self._file(key), allow_pickle=False)
        except (OSError, ValueError):  # absent, or damaged: decode again
            self.misses += 1
            return None
        self.hits += 1
        return frames

    def put(self, key: str | None, frames: np.ndarray) -> bool:
        """Store `frames` unless the cache is full; True when stored."""
        if key is None:
            return False
        if self._used is None or self._writes % RECOUNT == 0:
            self._used = self._count()
        if self._used + frames.nbytes > self.max_bytes:
            return False
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.save(out, np.ascontiguousarray(frames), allow_pickle=False)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return False  # a full disk must not stop training: the clip is simply not cached
        self._writes += 1
        self._used += frames.nbytes
        return True

    def _count(self) -> int:
        total = 0
        if not self.directory.is_dir():
            return 0
        for sub in os.scandir(self.directory):
            if sub.is_dir():
                for entry in os.scandir(sub.path):
                    try:
                        total += entry.stat().st_size
                    except OSError:
                        pass
        return total
