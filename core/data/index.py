"""The normalised index every reader produces: samples per split, typed, with videos resolved.

A `Sample` is one unit of a task: a clip with captions (retrieval, pre-training), a question
(QA), a labelled video (action), or an untrimmed video with segments (localization). Fields a
kind does not have stay at their defaults. `video` is the file found for it, relative to the
index's `video_root` (the dataset root unless `--videos` named another folder), or None when
the file is missing: readers never fail on a missing video, registration reports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.data.hashing import sha256_file
from core.errors import UserError


@dataclass(frozen=True, slots=True)
class Segment:
    """A labelled time span of an untrimmed video, in seconds."""

    start: float
    end: float
    label: int  # index into DatasetIndex.classes
    label_name: str


@dataclass(slots=True)
class Sample:
    """One sample of one split (see the module docstring for which fields each kind fills)."""

    id: str  # unique within its split: clip id, question id, video id
    video_id: str  # the video's id as the annotations name it (e.g. "video7020", "v_QOlSCBRmfWY")
    listed: str  # the expected path, relative to video_root: what is reported when missing
    video: str | None = None  # the file found, relative to video_root; None when missing
    start: float | None = None  # window inside the video, seconds (None: the whole file)
    end: float | None = None
    captions: tuple[str, ...] = ()
    label: int | None = None  # index into DatasetIndex.classes
    question: str | None = None
    answer: str | None = None
    duration: float | None = None  # seconds, as the annotations state it
    segments: tuple[Segment, ...] = ()


@dataclass
class DatasetIndex:
    """A parsed dataset: samples per split, class names, and the annotation files read."""

    kind: str
    root: Path
    video_root: Path
    splits: dict[str, list[Sample]]
    annotation_files: list[Path] = field(default_factory=list)  # absolute paths
    classes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts worth showing (e.g. "1k-A is `test`")
    frame_fps: float | None = None  # the rate of videos stored as frame folders (`--fps`), when given
    protocol: dict[str, str | int] = field(default_factory=dict)  # split variant etc., copied into results
    answers: list[str] | None = None  # QA: the answer vocabulary the annotations ship, when they do
    _hashes: dict[str, str] | None = field(default=None, repr=False)

    def split(self, name: str) -> list[Sample]:
        if name not in self.splits:
            raise UserError(f"{self.kind} at {self.root} has no split {name!r} (has: {', '.join(self.splits)})")
        return self.splits[name]

    def counts(self) -> dict[str, int]:
        return {name: len(samples) for name, samples in self.splits.items()}

    def __len__(self) -> int:
        return sum(len(samples) for samples in self.splits.values())

    def video_path(self, sample: Sample) -> Path | None:
        """The absolute path of the sample's video, or None when it was not found."""
        return None if sample.video is None else self.video_root / sample.video

    def hashes(self, progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
        """SHA-256 of every annotation file read, keyed by its path relative to the root
        (computed once; `progress(files done, files)` meanwhile)."""
        if self._hashes is None:
            hashes = {}
            for done, path in enumerate(self.annotation_files, start=1):
                hashes[_relative(path, self.root)] = sha256_file(path)
                if progress is not None:
                    progress(done, len(self.annotation_files))
            self._hashes = hashes
        return self._hashes

    def annotation_key(self) -> str:
        """One hash over all annotation files: names caches derived from the annotations."""
        return annotation_key(self.kind, self.hashes())

    def has_captions(self) -> bool:
        return any(sample.captions for samples in self.splits.values() for sample in samples)


def annotation_key(kind: str, hashes: dict[str, str]) -> str:
    """The key of a kind's annotation files from their SHA-256 (what the registry stores)."""
    digest = hashlib.sha256(kind.encode())
    for name, value in sorted(hashes.items()):
        digest.update(f"\0{name}\0{value}".encode())
    return digest.hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
