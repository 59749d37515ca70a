"""A resumable, distributed sampler for pre-training.

Each epoch is a permutation drawn from (seed, epoch) alone, so every rank computes the same one
and a restarted run recomputes it. The permutation is padded (with its own first indices) to a
multiple of `world_size` and rank r takes positions r, r + world_size, ... (as torch's
DistributedSampler does). `position` is how many of this rank's indices of the current epoch
are already consumed: iteration starts there, so an interrupted run resumes exactly where it
stopped. `state_dict()` -> {"epoch", "position", "seed"}; `load_state_dict` restores it.

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

    @property
    def per_rank(self) -> int:
        """Indices each rank gets per epoch."""
        return math.ceil(self.num_samples / self.world_size)

    def order(self, epoch: int) -> np.ndarray:
        """This rank's indices for `epoch`, from its start: [per_rank]."""
        if self.shuffle:
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        else:
            perm = np.arange(self.num_samples)
        total = self.per_rank * self.world_size
        padded = np.concatenate([perm, perm[: total - len(perm)]]) if total > len(perm) else perm
        return padded[self.rank :: self.world_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order(self.epoch)[self.position :].tolist())

    def __len__(self) -> int:
        return self.per_rank - self.position

    def set_epoch(self, epoch: int, position: int = 0) -> None:
        self.epoch = epoch
        self.position = position

    def advance(self, count: int) -> None:
        """`count` more indices of this epoch were consumed; past the end, the next epoch starts."""
        self.position += count
        if self.position >= self.per_rank:
            self.set_epoch(self.epoch + 1)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed,
                "num_samples": self.num_samples, "world_size": self.world_size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("num_samples", self.num_samples) != self.num_samples:
            raise ValueError(f"sampler state is for {state['num_samples']} samples, this dataset has "
                             f"{self.num_samples}: the data changed since the checkpoint")
        if state.get("world_size", self.world_size) != self.world_size:
            raise ValueError(f"sampler state is for world size {state['world_size']}, this run has "
                             f"{self.world_size}: resume with the same number of processes")
        self.seed = int(state.get("seed", self.seed))
        self.set_epoch(int(state["epoch"]), int(state["position"]))
