"""Text-video retrieval evaluation: the videos of a split and their captions.

Shape letters: B batch, V temporal views, T frames, S crop size, Nc captions, L tokens.

Item -> batch (`collate_retrieval`):
  frames  uint8 [B, T, 3, S, S]  ([B, V, T, 3, S, S] with views > 1)
  index   long  [B]   position in `samples` (the video axis of the similarity matrix)
  valid   bool  [B]   False: the video is missing or unreadable (zero frames; report coverage)
Texts: `captions` (Nc strings), `caption_video` long [Nc] (caption -> its video's position),
`caption_tokens()` -> (ids long [Nc, L], mask long [Nc, L]). For MSR-VTT 1k-A, caption k
belongs to video k.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset, default_collate

from core.data.clip_cache import ClipCache
from core.data.index import DatasetIndex
from core.data.tasks.clips import ClipReader, read_or_skip
from core.data.tokens import TokenTable, pad_ids
from core.data.transforms import EvalTransform


class RetrievalDataset(Dataset):
    """The videos of one split (items) and all their captions (attributes), for a similarity matrix."""

    def __init__(
        self,
        index: DatasetIndex,
        tokenizer: Any = None,
        *,
        split: str = "test",
        num_frames: int = 8,
        size: int = 64,
        views: int = 1,
        max_caption_len: int = 32,
        clip_cache: ClipCache | None = None,
    ):
        self.index = index
        self.samples = index.split(split)
        self.views = views
        self.reader = ClipReader(num_frames, clip_cache)
        self.transform = EvalTransform(size)
        self.captions = [caption for sample in self.samples for caption in sample.captions]
        self.caption_video = torch.tensor(
            [position for position, sample in enumerate(self.samples) for _ in sample.captions], dtype=torch.long
        )  # [Nc]
        self.tokens = TokenTable(tokenizer, max_caption_len) if tokenizer is not None else None
        self._shape = (views, num_frames, 3, size, size) if views > 1 else (num_frames, 3, size, size)

    def caption_tokens(self) -> tuple[Tensor, Tensor]:
        """(ids long [Nc, L], mask long [Nc, L]) of every caption, in `captions` order."""
        if self.tokens is None:
            raise ValueError("RetrievalDataset was built without a tokenizer")
        return pad_ids([self.tokens.ids(c) for c in self.captions], self.tokens.pad_id, self.tokens.max_length)

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, sample) -> Tensor:  # noqa: ANN001 (Sample)
        if self.views > 1:
            clips = self.reader.views(self.index, sample, self.views)  # [V, T, H, W, 3]
            return torch.stack([self.transform(clip) for clip in clips])  # [V, T, 3, S, S]
        return self.transform(self.reader.clip(self.index, sample))  # [T, 3, S, S]

    def __getitem__(self, i: int) -> dict[str, Any]:
        _, frames, _ = read_or_skip(self.samples, i, self._load, substitute=False)
        valid = frames is not None
        return {
            "frames": frames if valid else torch.zeros(self._shape, dtype=torch.uint8),
            "index": i,
            "valid": valid,
        }


def collate_retrieval(items: list[dict[str, Any]]) -> dict[str, Any]:
    return default_collate(items)
