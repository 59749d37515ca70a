"""Temporal action localization (ActivityNet v1.3): sliding windows over each untrimmed video.

Shape letters: W windows, T frames per window, S crop size, G ground-truth segments.

One item per video (use it with `batch_size=None`: windows differ in number):
  id        str
  frames    uint8 [W, T, 3, S, S]  window w holds frames w*stride .. w*stride+T-1 of the video
                                   sampled at `fps` (None: every frame); the last one is padded
  starts    float [W]   each window's start time, seconds
  duration  float       the annotated duration (seconds), what the evaluation uses
  segments  float [G, 2] ground truth (start, end) in seconds; labels long [G] (class index)
  valid     bool        False: missing or unreadable video (W = 0): report coverage, go on
  index     int
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from core.data.index import DatasetIndex
from core.data.tasks.clips import warn_skip
from core.data.transforms import EvalTransform
from core.data.video import VideoReadError, read_windows


class LocalizationDataset(Dataset):
    """One untrimmed video per item, as sliding windows, with its annotated segments."""

    def __init__(
        self,
        index: DatasetIndex,
        *,
        split: str = "val",
        window: int = 8,
        stride: int = 8,
        fps: float | None = None,
        size: int = 64,
    ):
        self.index = index
        self.samples = index.split(split)
        self.classes = index.classes
        self.window = window
        self.stride = stride
        self.fps = fps
        self.size = size
        self.transform = EvalTransform(size)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any]:
        sample = self.samples[i]
        segments = torch.tensor([[s.start, s.end] for s in sample.segments], dtype=torch.float32).view(-1, 2)
        labels = torch.tensor([s.label for s in sample.segments], dtype=torch.long)  # [G]
        path = self.index.video_path(sample)
        frames = torch.zeros((0, self.window, 3, self.size, self.size), dtype=torch.uint8)
        starts = torch.zeros(0)
        duration = sample.duration
        valid = False
        try:
            if path is None:
                raise VideoReadError(f"{sample.listed}: missing")
            windows, start_times, video_duration = read_windows(path, self.window, self.stride, self.fps,
                                                                       source_fps=self.index.frame_fps,
                                                                       duration=sample.duration)
            count = windows.shape[0]
            flat = self.transform(windows.reshape(-1, *windows.shape[2:]))  # [W*T, 3, S, S], one resize call
            frames = flat.view(count, self.window, *flat.shape[1:])  # [W, T, 3, S, S]
            starts = torch.from_numpy(start_times).float()  # [W]
            duration = duration if duration is not None else video_duration
            valid = True
        except VideoReadError as err:
            warn_skip(sample, err)
        return {
            "id": sample.id, "frames": frames, "starts": starts, "duration": float(duration or 0.0),
            "segments": segments, "labels": labels, "valid": valid, "index": i,
        }
