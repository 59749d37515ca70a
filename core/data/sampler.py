"""A resumable, distributed sampler for pre-training.

Each epoch is a permutation drawn from (seed, epoch) alone, so every rank computes the same one
and a restarted run recomputes it. The permutation is padded (with its own first indices) to a
multiple of `world_size` and rank r takes positions r, r + world_size, ... (as torch's
DistributedSampler does). `position` is how many of this rank's indices of the current epoch
are already consumed: iteration starts there, so an interrupted run resumes exactly where it
stopped. `state_dict()` -> {"epoch", "position", "seed", "start", ...}; `load_state_dict` restores it,
and with `reshard=True` continues a state saved by another number of ranks (see `start`).

Who advances `position`: the training loop, through `advance(n)` after it consumed a batch (the
DataLoader prefetches, so the sampler itself cannot know what was consumed); `PretrainLoader`
does it for you.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from torch.utils.data import Sampler


class ResumableSampler(Sampler[int]):
    def __init__(self, num_samples: int, seed: int = 0, rank: int = 0, world_size: int = 1, shuffle: bool = True):
        if num_samples < 1:
            raise ValueError("ResumableSampler needs at least one sample")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world size {world_size}")
        self.num_samples = num_samples
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.epoch = 0
        self.position = 0
        # Where in the current epoch's permutation this world's share begins: 0, except after a resume
        # on another world size, which spreads the epoch's remaining samples over the new ranks.
        self.start = 0

    def _remaining(self, epoch: int) -> np.ndarray:
        """The epoch's permutation from this world's start: [n]."""
        if self.shuffle:
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        else:
            perm = np.arange(self.num_samples)
        return perm[self.start:] if epoch == self.epoch else perm

    @property
    def per_rank(self) -> int:
        """Indices each rank gets in the current epoch."""
        return math.ceil(len(self._remaining(self.epoch)) / self.world_size)

    def order(self, epoch: int) -> np.ndarray:
        """This rank's indices for `epoch`, from its start: [per_rank]."""
        rest = self._remaining(epoch)
        total = math.ceil(len(rest) / self.world_size) * self.world_size
        padded = np.concatenate([rest, rest[: total - len(rest)]]) if total > len(rest) else rest
        return padded[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order(self.epoch)[self.position :].tolist())

    def __len__(self) -> int:
        return self.per_rank - self.position

    def set_epoch(self, epoch: int, position: int = 0, start: int = 0) -> None:
        self.epoch = epoch
        self.position = position
        self.start = start

    def advance(self, count: int) -> None:
        """`count` more indices of this epoch were consumed; past the end, the next epoch starts."""
        self.position += count
        if self.position >= self.per_rank:
            self.set_epoch(self.epoch + 1)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed, "start": self.start,
                "num_samples": self.num_samples, "world_size": self.world_size}

    def load_state_dict(self, state: dict[str, Any], reshard: bool = False) -> None:
        """Restore a position; `reshard`: it was saved by another number of ranks, whose consumed
        samples (the first `position * world_size` of the epoch's share) are skipped and the rest
        spread over this world's ranks."""
        if state.get("num_samples", self.num_samples) != self.num_samples:
            raise ValueError(f"sampler state is for {state['num_samples']} samples, this dataset has "
                             f"{self.num_samples}: the data changed since the checkpoint")
        saved_world = int(state.get("world_size", self.world_size))
        self.seed = int(state.get("seed", self.seed))
        epoch, position, start = int(state["epoch"]), int(state["position"]), int(state.get("start", 0))
        if saved_world == self.world_size:
            self.set_epoch(epoch, position, start)
            return
        if not reshard:
            raise ValueError(f"sampler state is for world size {saved_world}, this run has "
                             f"{self.world_size}: resume with the same number of processes")
        consumed = start + position * saved_world  # ranks advance in lockstep: all at `position`
        if consumed >= self.num_samples:  # only the padding repeats were left: the epoch is done
            self.set_epoch(epoch + 1)
        else:
            self.set_epoch(epoch, 0, consumed)
