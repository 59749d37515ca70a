"""Extraction over several processes (`sviml eval --nproc N`, a localizer's snippet features): each rank
encodes a share, every rank ends with the whole.

Shares are whole batches (or whole videos) of the one-process order, dealt round-robin: rank r
takes batches r, r + N, ... . A batch is then exactly the batch one process would have encoded, so
the features, and every number computed from them, are the same bit for bit whatever N is. After
extraction, `gather_rows` gives every rank the full arrays; rank 0 writes caches, results and
reports (`is_main`).

Without a process group (one process) every function here is the identity.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np
import torch
from torch.utils.data import Sampler

T = TypeVar("T")


def eval_rank() -> tuple[int, int]:
    """(rank, world size) of this process in its group ((0, 1) without one)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def is_main() -> bool:
    return eval_rank()[0] == 0


def my_share(items: Sequence[T]) -> list[T]:
    """This rank's items: every world-size-th, starting at its rank."""
    rank, world = eval_rank()
    return list(items[rank::world])


def batches(count: int, batch_size: int) -> list[list[int]]:
    """The one-process batches of a `count`-item dataset: [[0..B-1], [B..2B-1], ...]."""
    return [list(range(start, min(start + batch_size, count))) for start in range(0, count, batch_size)]


class ShardedBatches(Sampler[list[int]]):
    """This rank's share of the one-process batches (a DataLoader `batch_sampler`)."""

    def __init__(self, count: int, batch_size: int):
        self.mine = my_share(batches(count, batch_size))

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.mine)

    def __len__(self) -> int:
        return len(self.mine)


def gather_rows(arrays: dict[str, np.ndarray], rows: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """Every rank filled `rows` of its arrays [count, ...] (a rank with no share may have none of
    them): the arrays with every rank's rows, on every rank."""
    _, world = eval_rank()
    if world == 1:
        return arrays
    mine = (rows, {name: values[rows] for name, values in arrays.items()})
    shares: list[tuple[np.ndarray, dict[str, np.ndarray]]] = [None] * world  # type: ignore[list-item]
    torch.distributed.all_gather_object(shares, mine)
    merged: dict[str, np.ndarray] = {}
    for their_rows, their_values in shares:
        for name, values in their_values.items():
            if name not in merged:
                merged[name] = np.zeros((count, *values.shape[1:]), dtype=values.dtype)
            merged[name][their_rows] = values
    return merged


def gather_lists(items: list[T]) -> list[T]:
    """Every rank's list of per-item results, back in the one-process order (ranks dealt round-robin)."""
    rank, world = eval_rank()
    if world == 1:
        return items
    shares: list[list[T]] = [None] * world  # type: ignore[list-item]
    torch.distributed.all_gather_object(shares, items)
    total = sum(len(share) for share in shares)
    ordered: list[T] = []
    for position in range(math.ceil(total / world)):
        for share in shares:
            if position < len(share):
                ordered.append(share[position])
    return ordered
