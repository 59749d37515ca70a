"""Token ids for captions and prompts: encoded once per text (memoised), padded per batch.

The tokenizer is the model's (any Hugging Face tokenizer). Texts are encoded one at a time: the
fast tokenizers' batch encoding uses a thread pool that does not survive the DataLoader's fork.
Captions and prompts repeat every epoch, so each process keeps the ids of the texts it has seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor


class TokenTable:
    """`ids(text)` -> token ids (special tokens included, truncated to `max_length`), memoised."""

    def __init__(self, tokenizer: Any, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length
        pad = getattr(tokenizer, "pad_token_id", None)
        self.pad_id = 0 if pad is None else int(pad)
        self._memo: dict[str, list[int]] = {}

    def ids(self, text: str) -> list[int]:
        ids = self._memo.get(text)
        if ids is None:
            ids = list(self.tokenizer(text, truncation=True, max_length=self.max_length)["input_ids"])
            self._memo[text] = ids
        return ids

    def warm(self, texts: Iterable[str]) -> None:
        """Encode `texts` now (before the workers fork, so that they share the table)."""
        for text in texts:
            self.ids(text)


def pad_ids(seqs: Sequence[Sequence[int]], pad_id: int, max_length: int) -> tuple[Tensor, Tensor]:
    """Ids padded to the longest sequence (at most `max_length`) -> (ids long [N, L], mask long [N, L])."""
    length = max(1, min(max((len(s) for s in seqs), default=1), max_length))
    ids = np.full((len(seqs), length), pad_id, dtype=np.int64)  # [N, L]
    mask = np.zeros((len(seqs), length), dtype=np.int64)  # [N, L]
    for row, seq in enumerate(seqs):
        n = min(len(seq), length)
        ids[row, :n] = seq[:n]
        mask[row, :n] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


class PaddedTextCollate:
    """Items -> a batch: the token ids under `text` padded to the batch's longest (at most
    `max_length`) as `<text>_ids` and `<text>_mask` long [B, L]; every other field by torch's default
    collation (tensors stacked, numbers and flags to tensors, strings to lists)."""

    def __init__(self, text: str, pad_id: int, max_length: int):
        self.text = text
        self.pad_id = pad_id
        self.max_length = max_length

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        from torch.utils.data import default_collate

        ids, mask = pad_ids([item[self.text] for item in items], self.pad_id, self.max_length)
        rest = default_collate([{k: v for k, v in item.items() if k != self.text} for item in items])
        return {**rest, f"{self.text}_ids": ids, f"{self.text}_mask": mask}
