"""A seeded tiny batch in the data pipeline's format."""

from __future__ import annotations

import pytest
import torch


def make_batch(B: int = 4, seed: int = 0, T: int = 4, size: int = 32, L: int = 16, K: int = 2, Ln: int = 12) -> dict:
    """frames uint8 [B, T, 3, H, W]; caption/noun ids with a CLS, some words, a SEP, then padding."""
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 256, (B, T, 3, size, size), dtype=torch.uint8, generator=g)

    def tokens(shape: tuple[int, ...], length: int, n_words: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.zeros(*shape, length, dtype=torch.long)
        mask = torch.zeros_like(ids)
        ids[..., 0] = 101  # [CLS]
        ids[..., 1 : 1 + n_words] = torch.randint(1996, 5000, (*shape, n_words), generator=g)
        ids[..., 1 + n_words] = 102  # [SEP]
        mask[..., : 2 + n_words] = 1
        return ids, mask

    caption_ids, caption_mask = tokens((B,), L, 9)
    noun_ids, noun_mask = tokens((B, K), Ln, 5)
    return {
        "frames": frames,
        "caption_ids": caption_ids,
        "caption_mask": caption_mask,
        "noun_ids": noun_ids,
        "noun_mask": noun_mask,
        "video_path": ["ignored"] * B,
    }


@pytest.fixture
def batch() -> dict:
    return make_batch()


@pytest.fixture(name="make_batch")
def make_batch_fixture():
    """The batch builder itself, for tests that need other sizes or seeds."""
    return make_batch
