"""Open-ended video QA (MSRVTT-QA, MSVD-QA): a clip, a question, an answer class.

Shape letters: B batch, T frames, S crop size, Lq question tokens.

Batch (`PaddedTextCollate` of "question"):
  frames         uint8 [B, T, 3, S, S]
  question_ids   long  [B, Lq]     question_mask long [B, Lq]
  answer_index   long  [B]   position in the answer vocabulary; -1 when out of vocabulary (counts
                             as wrong at test time; ignore it in a training loss)
  answers        list[str]   the answers as written
  index          long  [B]   the sample delivered
  valid          bool  [B]   False: unreadable video (evaluation only; zero frames)
  skipped        long  [B]   samples skipped to deliver each item (training only)

The vocabulary comes from the train split: `build_answer_vocab(samples, top_k=1500)` (MSRVTT-QA)
or `min_count=...` (MSVD-QA's frequency floor).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

from core.data.clip_cache import ClipCache
from core.data.index import DatasetIndex, Sample
from core.data.tasks.clips import ClipReader, SeededSamples, read_or_skip
from core.data.tokens import PaddedTextCollate, TokenTable
from core.data.transforms import EvalTransform, TrainTransform


def build_answer_vocab(samples: Sequence[Sample], top_k: int | None = None, min_count: int = 1) -> list[str]:
    """Answers seen at least `min_count` times, most frequent first (ties: alphabetical), at most top_k."""
    counts = Counter(s.answer for s in samples if s.answer)
    ranked = sorted((a for a, n in counts.items() if n >= min_count), key=lambda a: (-counts[a], a))
    return ranked[:top_k] if top_k is not None else ranked


class QADataset(SeededSamples):
    """One question per item; `train=True` adds random crops and substitutes unreadable videos."""

    def __init__(
        self,
        index: DatasetIndex,
        tokenizer: Any,
        answers: Sequence[str],
        *,
        split: str = "test",
        num_frames: int = 8,
        size: int = 64,
        train: bool = False,
        seed: int = 0,
        max_question_len: int = 32,
        clip_cache: ClipCache | None = None,
    ):
        super().__init__(index.split(split), seed)
        self.index = index
        self.answer_index = {answer: number for number, answer in enumerate(answers)}
        self.train = train
        self.reader = ClipReader(num_frames, clip_cache)
        self.train_transform = TrainTransform(size)
        self.eval_transform = EvalTransform(size)
        self.tokens = TokenTable(tokenizer, max_question_len)
        self._shape = (num_frames, 3, size, size)

    def collate(self) -> PaddedTextCollate:
        return PaddedTextCollate("question", self.tokens.pad_id, self.tokens.max_length)

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = self.rng(i)

        def load(sample: Sample) -> torch.Tensor:
            frames = self.reader.clip(self.index, sample)  # deterministic frames: cached across questions
            return self.train_transform(frames, rng) if self.train else self.eval_transform(frames)

        j, frames, skipped = read_or_skip(self.samples, i, load, substitute=self.train)
        sample = self.samples[j]
        return {
            "frames": frames if frames is not None else torch.zeros(self._shape, dtype=torch.uint8),
            "question": self.tokens.ids(sample.question or ""),
            "answer_index": self.answer_index.get(sample.answer or "", -1),
            "answers": sample.answer or "",  # a batch's list of answers as written
            "index": j,
            "valid": frames is not None,
            "skipped": len(skipped),
        }
