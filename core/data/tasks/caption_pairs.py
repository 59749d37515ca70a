"""Training pairs for retrieval fine-tuning: one item per video, with one of its captions.

Shape letters: B batch, T frames, S crop size, L caption tokens.

Batch (`PaddedTextCollate` of "caption"):
  frames        uint8 [B, T, 3, S, S]
  caption_ids   long  [B, L]     caption_mask long [B, L]
  index         long  [B]   the video delivered (after any substitution)
  skipped       long  [B]   unreadable videos skipped to deliver each item

One item per video (not per caption) so that a batch never holds two captions of the same video,
which InfoNCE would treat as each other's negatives. Per (seed, epoch, index): which caption, the
crop and the flip. Frames are the clip's uniform grid, so the decoded-clip cache serves every epoch.
"""

from __future__ import annotations

from typing import Any

from core.data.clip_cache import ClipCache
from core.data.index import DatasetIndex
from core.data.tasks.clips import ClipReader, SeededSamples, read_or_skip
from core.data.tokens import PaddedTextCollate, TokenTable
from core.data.transforms import TrainTransform
from core.errors import UserError


class CaptionPairs(SeededSamples):
    """Clip + one random caption per item, from the captioned videos of one split."""

    def __init__(self, index: DatasetIndex, tokenizer: Any, *, split: str = "train", num_frames: int = 8,
                 size: int = 64, max_caption_len: int = 32, seed: int = 0, flip: float = 0.0,
                 scale: tuple[float, float] = (0.5, 1.0), clip_cache: ClipCache | None = None):
        super().__init__([s for s in index.split(split) if s.captions and s.video is not None], seed)
        if not self.samples:
            raise UserError(f"{index.kind} at {index.root}: no captioned video in split {split!r}")
        self.index = index
        self.reader = ClipReader(num_frames, clip_cache)
        self.transform = TrainTransform(size, scale=scale, flip=flip)
        self.tokens = TokenTable(tokenizer, max_caption_len)

    def collate(self) -> PaddedTextCollate:
        return PaddedTextCollate("caption", self.tokens.pad_id, self.tokens.max_length)

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = self.rng(i)
        j, frames, skipped = read_or_skip(self.samples, i, lambda s: self.reader.clip(self.index, s), substitute=True)
        sample = self.samples[j]
        caption = sample.captions[int(rng.integers(len(sample.captions)))]
        return {"frames": self.transform(frames, rng), "caption": self.tokens.ids(caption), "index": j,
                "skipped": len(skipped)}
