"""Seeded random generators keyed by what they are for, so no draw depends on another's order.

Every video gets its own generator from (suite seed, part, index, purpose). Workers, the order in
which parts are planned and the number of videos before it never change what a video shows.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for (seed, *keys); strings are hashed with CRC-32 (stable across runs and platforms)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {seed!r}")
    entropy = [seed] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def youtube_id(rng: np.random.Generator) -> str:
    """An invented 11-character YouTube-style id ([A-Za-z0-9_-]; like real ones it may start with '-')."""
    return "".join(_ID_ALPHABET[i] for i in rng.integers(0, len(_ID_ALPHABET), 11))


def unique_youtube_ids(seed: int, part: str, n: int) -> list[str]:
    """n distinct invented ids for a part (a clash, one in ~10^19, draws again)."""
    out: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        attempt = 0
        while True:
            yid = youtube_id(rng_for(seed, part, "youtube-id", i, attempt))
            if yid not in seen:
                break
            attempt += 1
        seen.add(yid)
        out.append(yid)
    return out


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One item, uniformly (`Generator.choice` costs ~10x more on short sequences)."""
    return items[int(rng.integers(len(items)))]
