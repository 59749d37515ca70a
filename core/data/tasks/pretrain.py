"""Pre-training pairs: a clip, one of its captions, and K noun-phrase prompts of that caption.

Shape letters: B batch, T frames, S crop size, L caption tokens, K prompts, Ln prompt tokens.

Batch (`PretrainCollate`):
  frames        uint8 [B, T, 3, S, S]   (GPU decoding: `clips` instead, B decode plans that
                                        `core.data.gpu_decode.DeviceBatches` turns into frames)
  caption_ids   long  [B, L]      caption_mask long [B, L]     (L: the batch's longest, <= max)
  noun_ids      long  [B, K, Ln]  noun_mask    long [B, K, Ln] ("A photo of a {noun}." prompts)
  index         long  [B]         the sample delivered (after any substitution)
  skipped       long  [B]         unreadable samples skipped to deliver each item
  skipped_ids   list[str]         their ids (for the run's log)

Any caption-bearing index feeds it (`captions`, `msrvtt` train, `activitynet-captions`,
`videocc`, `webvid`), several at once. Per (seed, epoch, index): one random caption of the clip,
K random noun phrases of it, the crop and the flip. Samples whose video was not found when the
index was read are left out up front (`missing`); a video that fails to decode is replaced by
the next readable sample (deterministically) and counted in `skipped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from core.data.clip_cache import ClipCache
from core.data.clip_plan import ClipPlan
from core.data.index import DatasetIndex, Sample
from core.data.noun_phrases import (
    DEFAULT_TEMPLATE,
    MissingPhrases,
    choose_phrases,
    load_noun_phrases,
    make_prompt,
)
from core.data.progress import Progress
from core.data.tasks.clips import ClipReader, sample_rng, warn_skip
from core.data.tokens import TokenTable, pad_ids
from core.data.transforms import TrainTransform, stack_frames
from core.data.video import VideoReadError
from core.errors import UserError

WARM_LIMIT = 200_000  # encode up to this many captions before the workers fork; beyond, on demand


def captioned_items(indexes: Sequence[DatasetIndex], split: str) -> tuple[list[tuple[int, Sample]], list[str]]:
    """(index number, sample) of every captioned sample of `split` with a video found, and the ids of
    those whose video is missing (left out up front)."""
    items: list[tuple[int, Sample]] = []
    missing: list[str] = []
    for number, index in enumerate(indexes):
        for sample in index.splits.get(split, []):
            if not sample.captions:
                continue
            if sample.video is None:
                missing.append(sample.id)
            else:
                items.append((number, sample))
    return items, missing


def load_phrases(indexes: Sequence[DatasetIndex], items: Sequence[tuple[int, Sample]], noun_cache: str | Path | None,
                 progress: Progress | None = None, extract: bool = True) -> dict[str, list[str]]:
    """caption -> noun phrases of every item's captions, from each index's table under `noun_cache`
    (`extract=False`: a caption missing there is a UserError naming `sviml data prepare`)."""
    phrases: dict[str, list[str]] = {}
    for number, index in enumerate(indexes):
        captions = [c for n, s in items if n == number for c in s.captions]
        if captions:
            try:
                phrases.update(load_noun_phrases(captions, index.annotation_key(), noun_cache, progress,
                                                 extract=extract))
            except MissingPhrases as err:
                raise UserError(f"{index.kind} at {index.root}: {err}: run `sviml data prepare` on it") from err
    return phrases


class PairMaker:
    """Decoded frames + a clip's captions -> one pre-training item: a random caption, K random noun
    prompts of it, the random crop and flip (draws in that order, from the item's generator)."""

    def __init__(self, tokenizer: Any, *, size: int, num_nouns: int, template: str, max_caption_len: int,
                 max_noun_len: int, scale: tuple[float, float]):
        self.num_nouns = num_nouns
        self.template = template
        self.transform = TrainTransform(size, scale=scale)
        self.captions = TokenTable(tokenizer, max_caption_len)
        self.prompts = TokenTable(tokenizer, max_noun_len)

    def warm(self, phrases: dict[str, list[str]]) -> None:
        """Tokenise every caption and prompt now (before workers fork), unless there are too many."""
        if len(phrases) <= WARM_LIMIT:
            self.captions.warm(phrases)
            self.prompts.warm(make_prompt(p, self.template) for ps in phrases.values() for p in ps)

    def make(self, clip: np.ndarray | ClipPlan, captions: Sequence[str], phrases: dict[str, list[str]],
             rng: np.random.Generator, index: int, skipped: list[str]) -> dict[str, Any]:
        """`clip`: decoded frames uint8 [T, H, W, 3] (-> "frames" [T, 3, S, S]), or a plan (GPU
        decoding: -> "clip", the plan with its crop and flip drawn)."""
        caption = captions[int(rng.integers(len(captions)))]
        chosen = choose_phrases(phrases[caption], caption, self.num_nouns, rng)
        if isinstance(clip, ClipPlan):
            visual = {"clip": clip.with_crop(*self.transform.draw(clip.height, clip.width, rng))}
        else:
            visual = {"frames": self.transform(clip, rng)}  # [T, 3, S, S]
        return {
            **visual,
            "caption": self.captions.ids(caption),
            "nouns": [self.prompts.ids(make_prompt(p, self.template)) for p in chosen],
            "index": index,
            "skipped": skipped,
        }

    def collate(self) -> PretrainCollate:
        return PretrainCollate(self.captions.pad_id, self.captions.max_length, self.prompts.max_length)


class PretrainDataset(Dataset):
    """Clip + caption + K noun prompts per item, from one or more caption-bearing indexes."""

    takes_epoch_keys = True  # `(epoch, index)` keys: the training loader's workers persist across epochs

    def __init__(
        self,
        indexes: Sequence[DatasetIndex],
        tokenizer: Any,
        *,
        split: str = "train",
        num_frames: int = 8,
        size: int = 64,
        num_nouns: int = 2,
        template: str = DEFAULT_TEMPLATE,
        max_caption_len: int = 32,
        max_noun_len: int = 16,
        seed: int = 0,
        jitter: bool = False,
        scale: tuple[float, float] = (0.4, 1.0),
        noun_cache: str | Path | None = None,
        clip_cache: ClipCache | None = None,
        max_skips: int = 64,
        progress: Progress | None = None,
        extract_phrases: bool = True,
        decode_short_side: int | None = None,
        deferred: bool = False,
    ):
        self.indexes = list(indexes)
        self.deferred = deferred  # GPU decoding: items carry decode plans, the training process decodes
        self.items, self.missing = captioned_items(self.indexes, split)
        if not self.items:
            names = ", ".join(f"{i.kind} at {i.root}" for i in self.indexes) or "no index"
            raise UserError(f"no captioned clip with a video in split {split!r} of {names}")
        self.seed = seed
        self.epoch = 0
        self.jitter = jitter
        self.max_skips = max_skips
        self.reader = ClipReader(num_frames, clip_cache, decode_short_side)
        self.pairs = PairMaker(tokenizer, size=size, num_nouns=num_nouns, template=template,
                               max_caption_len=max_caption_len, max_noun_len=max_noun_len, scale=scale)
        self.phrases = load_phrases(self.indexes, self.items, noun_cache, progress, extract_phrases)
        self.pairs.warm(self.phrases)

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        """The epoch the draws depend on (the loader sets it before each epoch's workers start)."""
        self.epoch = epoch

    def collate(self) -> PretrainCollate:
        return self.pairs.collate()

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        """Item `i` of this epoch, or of `epoch` for an `(epoch, i)` key (what persistent workers get)."""
        epoch, i = key if isinstance(key, tuple) else (self.epoch, key)
        rng = sample_rng(self.seed, epoch, i)
        skipped: list[str] = []
        for attempt in range(min(self.max_skips, len(self.items) - 1) + 1):
            j = (i + attempt) % len(self.items)
            number, sample = self.items[j]
            read = self.reader.plan if self.deferred else self.reader.clip
            try:
                frames = read(self.indexes[number], sample, rng if self.jitter else None)
            except VideoReadError as err:
                warn_skip(sample, err)
                skipped.append(sample.id)
                continue
            return self.pairs.make(frames, sample.captions, self.phrases, rng, j, skipped)
        raise RuntimeError(f"{len(skipped)} consecutive unreadable videos from sample {i} on ({skipped[0]}, ...): "
                           "run `sviml data verify --full` on the dataset")


class PretrainCollate:
    """Items -> the pre-training batch (see the module docstring), token ids padded per batch."""

    def __init__(self, pad_id: int, max_caption_len: int, max_noun_len: int):
        self.pad_id = pad_id
        self.max_caption_len = max_caption_len
        self.max_noun_len = max_noun_len

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        B, K = len(items), len(items[0]["nouns"])
        caption_ids, caption_mask = pad_ids([it["caption"] for it in items], self.pad_id, self.max_caption_len)
        noun_ids, noun_mask = pad_ids([n for it in items for n in it["nouns"]], self.pad_id, self.max_noun_len)
        if any("clip" in it for it in items):  # GPU decoding: plans (or clips a worker made) for DeviceBatches
            visual: dict[str, Any] = {"clips": [it.get("clip", it.get("frames")) for it in items]}
        else:
            visual = {"frames": stack_frames([it["frames"] for it in items])}  # [B, T, 3, S, S]
        return {
            **visual,
            "caption_ids": caption_ids,  # [B, L]
            "caption_mask": caption_mask,  # [B, L]
            "noun_ids": noun_ids.view(B, K, -1),  # [B, K, Ln]
            "noun_mask": noun_mask.view(B, K, -1),  # [B, K, Ln]
            "index": torch.tensor([it["index"] for it in items], dtype=torch.long),  # [B]
            "skipped": torch.tensor([len(it["skipped"]) for it in items], dtype=torch.long),  # [B]
            "skipped_ids": [s for it in items for s in it["skipped"]],
        }
