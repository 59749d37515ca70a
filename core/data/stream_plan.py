"""The order of a streamed epoch: units split by rank, a shuffle buffer, all from (seed, epoch) alone.

Streaming reads data in *units*: a shard (its samples in tar order, read sequentially: what makes
shards fast) or a block of a file dataset's samples (a slice of that dataset's permutation for
the epoch; files are random access, so blocks only make them mix with shards). An epoch's plan:

1. every unit of every source, in a permutation drawn from (seed, epoch);
2. each unit, in that order, goes to the rank with the fewest items so far (ties: the lower rank),
   so ranks get whole shards and nearly equal shares; every item of the epoch goes to exactly one
   rank, none is duplicated or dropped;
3. a rank's items, unit after unit, pass a shuffle buffer of `buffer` slots drawn from (seed,
   epoch, rank): item i enters the buffer, a random slot's item leaves; at the end the buffer
   empties in random order. Items of nearby shards mix without reading shards at random.

An item is a row `(source, part, offset)`: part is the shard number or block number, offset the
position in it. The plan is a pure function of (seed, epoch, rank, world size, the units): every
worker process computes the same one, which is what makes the stream independent of the number
of workers and resumable at any position.

Ranks do not wait for each other at epoch ends: a rank that finishes its share starts its share
of the next epoch (the stream is continuous), so epochs never end with a dropped or padded tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_UNITS, _BUFFER, _FILES = 0x5EED01, 0x5EED02, 0x5EED03  # stream tags of the generators


@dataclass(frozen=True)
class Unit:
    source: int
    part: int
    count: int


def file_permutation(seed: int, epoch: int, source: int, count: int) -> np.ndarray:
    """The order of a file source's items in `epoch` ([count]); block b is its slice b*B:(b+1)*B."""
    return np.random.default_rng([seed, epoch, source, _FILES]).permutation(count)


def assign_units(units: Sequence[Unit], seed: int, epoch: int, world_size: int) -> list[list[Unit]]:
    """Each rank's units for `epoch`, in reading order (balanced greedily by item count)."""
    order = np.random.default_rng([seed, epoch, _UNITS]).permutation(len(units))
    loads = [0] * world_size
    ranks: list[list[Unit]] = [[] for _ in range(world_size)]
    for i in order.tolist():
        target = min(range(world_size), key=lambda r: (loads[r], r))
        ranks[target].append(units[i])
        loads[target] += units[i].count
    return ranks


def shuffle_buffer(count: int, buffer: int, rng: np.random.Generator) -> np.ndarray:
    """The output order ([count] positions of the input) of a shuffle buffer of `buffer` slots."""
    if buffer <= 1 or count <= 1:
        return np.arange(count)
    slots = list(range(min(buffer, count)))
    out = np.empty(count, dtype=np.int64)
    draws = rng.integers(0, len(slots), size=max(count - len(slots), 0))
    for n, incoming in enumerate(range(len(slots), count)):
        j = int(draws[n])
        out[n] = slots[j]
        slots[j] = incoming
    tail = np.array(slots, dtype=np.int64)
    rng.shuffle(tail)
    out[count - len(slots):] = tail
    return out


def rank_plan(units: Sequence[Unit], seed: int, epoch: int, rank: int, world_size: int, buffer: int) -> np.ndarray:
    """This rank's items of `epoch` in stream order: int64 [N, 3] rows (source, part, offset)."""
    mine = assign_units(units, seed, epoch, world_size)[rank]
    if not mine:
        return np.zeros((0, 3), dtype=np.int64)
    rows = np.concatenate([
        np.stack([np.full(u.count, u.source), np.full(u.count, u.part), np.arange(u.count)], axis=1) for u in mine
    ]).astype(np.int64)  # [N, 3]
    order = shuffle_buffer(len(rows), buffer, np.random.default_rng([seed, epoch, rank, _BUFFER]))
    return rows[order]
