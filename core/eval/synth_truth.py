"""What the structure evaluators share: the synthetic part's ground truth, sampled clips, subsets.

Shape letters: B clips, T frames, S model input side.

Clips are read exactly as the other clip evaluators read them (`ClipReader`: T frames at the
centres of T equal segments of the clip, through the clip cache; `EvalTransform`: short side to S,
centre crop), so the frame indices that pick the matching label maps follow from the ground
truth's frame count alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from core.data.index import DatasetIndex, Sample
from core.data.video import VideoInfo, VideoReadError, frame_range, uniform_indices

T_co = TypeVar("T_co")
GROUNDTRUTH = "groundtruth"


def part_root(dataset: Any) -> Path:
    """The generated part's folder: the parent of `meta["groundtruth"]`, else the dataset root."""
    folder = (dataset.meta or {}).get("groundtruth")
    root = Path(folder).parent if folder else Path(dataset.root)
    if not (root / GROUNDTRUTH).is_dir():
        raise FileNotFoundError(f"{dataset.name}: no synthetic ground truth under {root / GROUNDTRUTH}")
    return root


def truth_fingerprint(root: Path) -> str:
    """Size and mtime of the ground-truth tables: part of feature cache keys (a regenerated part
    with other phrases gets new prompt embeddings)."""
    parts = []
    for name in ("objects.json", "videos.json"):
        path = root / GROUNDTRUTH / name
        if path.is_file():
            stat = path.stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return ";".join(parts)


def video_stem(sample: Sample) -> str:
    """The ground-truth stem of a sample's video: its file name without the suffix."""
    return Path(sample.video or sample.listed).stem


def spread(items: Sequence[T_co], count: int | None) -> list[T_co]:
    """At most `count` items evenly spread over the sequence, in order (all of them for None)."""
    if count is None or len(items) <= count:
        return list(items)
    return [items[(i * len(items)) // count] for i in range(count)]


def clip_frame_indices(n_frames: int, fps: float, sample: Sample, num_frames: int) -> np.ndarray:
    """[T] frame indices of the clip `ClipReader` reads for `sample` (uniform, deterministic)."""
    first, stop = frame_range(VideoInfo(int(n_frames), float(fps or 1.0)), sample.start, sample.end)
    return uniform_indices(first, stop, num_frames)


def read_clips(index: DatasetIndex, samples: Sequence[Sample], num_frames: int, size: int,
               cache: Any = None) -> tuple[torch.Tensor, np.ndarray]:
    """(frames uint8 [B, T, 3, S, S], valid bool [B]); unreadable videos get zero frames."""
    from core.data.tasks.clips import ClipReader, warn_skip
    from core.data.transforms import EvalTransform

    reader, transform = ClipReader(num_frames, cache), EvalTransform(size)
    frames = torch.zeros((len(samples), num_frames, 3, size, size), dtype=torch.uint8)
    valid = np.zeros(len(samples), dtype=bool)
    for row, sample in enumerate(samples):
        try:
            frames[row] = transform(reader.clip(index, sample))  # [T, 3, S, S]
            valid[row] = True
        except VideoReadError as err:
            warn_skip(sample, err)
    return frames, valid


def chunks(count: int, size: int) -> list[slice]:
    """Consecutive slices of at most `size` covering range(count)."""
    size = max(1, size)
    return [slice(i, min(i + size, count)) for i in range(0, count, size)]
