"""Reading a sample's frames (through the clip cache when there is one) and skipping bad videos.

`ClipReader` is what every task dataset uses to turn a `Sample` into decoded frames; a missing or
unreadable video raises `VideoReadError`, which the datasets turn into a skip (training) or an
invalid item (evaluation). Each bad video is logged once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from torch.utils.data import Dataset

from core.data.clip_cache import ClipCache
from core.data.clip_plan import ClipPlan, plan_clip
from core.data.frame_folder import is_frame_folder
from core.data.index import DatasetIndex, Sample
from core.data.video import Video, VideoReadError, frame_range, open_video, uniform_indices, view_indices

log = logging.getLogger("sviml.data")
T_co = TypeVar("T_co")
_WARNED: set[str] = set()  # videos already logged by this process: one line each, not one per epoch


def warn_skip(sample: Sample, err: BaseException) -> None:
    if sample.listed not in _WARNED:
        _WARNED.add(sample.listed)
        log.warning("skipping %s (%s): %s", sample.id, sample.listed, err)


@dataclass
class ClipReader:
    """Frames of a sample's clip: T frames uniform over its window (jittered when an rng is given).

    `short_side`: decode at that short side (the decoder scales; see `core.data.video`), None for
    the native size. Frame folders take their rate from the index (`--fps`) or the sample's duration.
    """

    num_frames: int
    cache: ClipCache | None = None
    short_side: int | None = None

    def open(self, index: DatasetIndex, sample: Sample, path: str):  # -> Video | FrameFolder
        return open_video(path, fps=index.frame_fps, duration=sample.duration, short_side=self.short_side)

    def _path(self, index: DatasetIndex, sample: Sample) -> str:
        path = index.video_path(sample)
        if path is None:
            raise VideoReadError(f"{sample.listed}: missing")
        return str(path)

    def clip(self, index: DatasetIndex, sample: Sample, rng: np.random.Generator | None = None) -> np.ndarray:
        """uint8 [T, H, W, 3]. Only deterministic (rng None) clips go through the cache."""
        path = self._path(index, sample)
        key = self.cache.key(path, "uniform", sample.start, sample.end, self.num_frames, *self._size_key()) \
            if self.cache is not None and rng is None else None
        frames = self.cache.get(key) if key is not None else None
        if frames is None:
            video = self.open(index, sample, path)
            first, stop = frame_range(video.info, sample.start, sample.end)
            frames = video.frames(uniform_indices(first, stop, self.num_frames, rng))
            if key is not None:
                self.cache.put(key, frames)
        return frames

    def plan(self, index: DatasetIndex, sample: Sample, rng: np.random.Generator | None = None
             ) -> ClipPlan | np.ndarray:
        """The clip's decode plan (GPU decoding: `core.data.clip_plan`), with the frame positions the
        CPU path would draw; a frame folder is decoded here (uint8 [T, H, W, 3])."""
        path = self._path(index, sample)
        if is_frame_folder(path):
            return self.clip(index, sample, rng)
        video = Video(path)  # decord's frame count and rate, exactly as the CPU path reads them
        first, stop = frame_range(video.info, sample.start, sample.end)
        return plan_clip(path, sample.listed, uniform_indices(first, stop, self.num_frames, rng), self.short_side)

    def views(self, index: DatasetIndex, sample: Sample, views: int) -> np.ndarray:
        """uint8 [V, T, H, W, 3]: V shifted uniform grids over the window."""
        if views == 1:
            return self.clip(index, sample)[None]
        path = self._path(index, sample)
        key = self.cache.key(path, "views", views, sample.start, sample.end, self.num_frames, *self._size_key()) \
            if self.cache is not None else None
        frames = self.cache.get(key) if key is not None else None
        if frames is None:
            video = self.open(index, sample, path)
            first, stop = frame_range(video.info, sample.start, sample.end)
            grid = view_indices(first, stop, self.num_frames, views)  # [V, T]
            flat = video.frames(grid.reshape(-1))  # [V*T, H, W, 3]
            frames = flat.reshape(views, self.num_frames, *flat.shape[1:])
            if key is not None:
                self.cache.put(key, frames)
        return frames

    def _size_key(self) -> tuple[str, ...]:
        # Native-size clips keep the keys they always had (existing caches stay valid).
        return () if self.short_side is None else (f"short{self.short_side}",)


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator of one sample's random draws: a function of (seed, epoch, index) only."""
    return np.random.default_rng([seed, epoch, index])


class SeededSamples(Dataset):
    """The samples of a split, one per item, whose random draws depend only on (seed, epoch, index).

    The loader calls `set_epoch` before each epoch's workers start, so every worker count gives the
    same items (`sample_rng`).
    """

    def __init__(self, samples: Sequence[Sample], seed: int):
        self.samples = list(samples)
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def rng(self, i: int) -> np.random.Generator:
        """Item `i`'s generator this epoch."""
        return sample_rng(self.seed, self.epoch, i)


def read_or_skip(
    samples: Sequence[Sample], i: int, load: Callable[[Sample], T_co], substitute: bool, max_skips: int = 64
) -> tuple[int, T_co | None, list[str]]:
    """(position delivered, load(sample) or None, ids skipped) for sample i.

    `substitute`: on a bad video, try i+1, i+2, ... (training). Otherwise return None for it
    (evaluation: the caller marks the item invalid). Bad videos are logged once each.
    """
    skipped: list[str] = []
    tries = min(max_skips, len(samples) - 1) + 1 if substitute else 1
    for attempt in range(tries):
        j = (i + attempt) % len(samples)
        try:
            return j, load(samples[j]), skipped
        except VideoReadError as err:
            warn_skip(samples[j], err)
            skipped.append(samples[j].id)
    if substitute:
        raise RuntimeError(f"{len(skipped)} consecutive unreadable videos from sample {i} on ({skipped[0]}, ...): "
                           "run `sviml data verify --full` on the dataset")
    return i, None, skipped
