"""Action recognition (UCF101, HMDB51): labelled videos, multi-view at evaluation.

Shape letters: B batch, V views (temporal views x spatial crops), T frames, S crop size.

Batch (`collate_action`):
  frames  uint8 [B, T, 3, S, S] (train)  or  [B, V, T, 3, S, S] (evaluation, V = views x crops,
          view-major: temporal view v, crop c at v * crops + c)
  label   long  [B]   0-based class index (`classes` names them)
  index   long  [B]   the sample delivered
  valid   bool  [B]   False: unreadable video (evaluation only; zero frames)
  skipped long  [B]   samples skipped to deliver each item (training only)
Multi-view testing averages the logits over V.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import default_collate

from core.data.clip_cache import ClipCache
from core.data.index import DatasetIndex, Sample
from core.data.tasks.clips import ClipReader, SeededSamples, read_or_skip
from core.data.transforms import EvalTransform, TrainTransform


class ActionDataset(SeededSamples):
    """One labelled video per item: a random clip (train) or V x C views (evaluation)."""

    def __init__(
        self,
        index: DatasetIndex,
        *,
        split: str = "test",
        num_frames: int = 8,
        size: int = 64,
        train: bool = False,
        views: int = 1,
        crops: int = 1,
        seed: int = 0,
        jitter: bool = True,
        clip_cache: ClipCache | None = None,
    ):
        super().__init__(index.split(split), seed)
        self.index = index
        self.classes = index.classes
        self.train = train
        self.views = views
        self.jitter = jitter
        self.reader = ClipReader(num_frames, clip_cache)
        self.train_transform = TrainTransform(size)
        self.eval_transform = EvalTransform(size, crops)
        self._shape = (num_frames, 3, size, size) if train else (views * crops, num_frames, 3, size, size)

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = self.rng(i)

        def load(sample: Sample) -> torch.Tensor:
            if self.train:
                frames = self.reader.clip(self.index, sample, rng if self.jitter else None)
                return self.train_transform(frames, rng)  # [T, 3, S, S]
            clips = self.reader.views(self.index, sample, self.views)  # [V, T, H, W, 3]
            return torch.cat([self.eval_transform.views(clip) for clip in clips])  # [V*C, T, 3, S, S]

        j, frames, skipped = read_or_skip(self.samples, i, load, substitute=self.train)
        return {
            "frames": frames if frames is not None else torch.zeros(self._shape, dtype=torch.uint8),
            "label": self.samples[j].label if self.samples[j].label is not None else -1,
            "index": j,
            "valid": frames is not None,
            "skipped": len(skipped),
        }


def collate_action(items: list[dict[str, Any]]) -> dict[str, Any]:
    return default_collate(items)
