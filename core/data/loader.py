"""DataLoaders: deterministic under a seed whatever the number of workers, and resumable.

Every random draw of a sample comes from a generator seeded by (seed, epoch, index) (see
`tasks/clips.sample_rng`), so a batch does not depend on which worker made it: 0 and 2 workers
give identical batches. Torch threads per worker are 1 (torch's default for workers): the
training step keeps the cores.

`PretrainLoader` couples a `ResumableSampler` to the DataLoader and advances it by each batch
the loop receives, so `state_dict()` after any step resumes with the next unseen batch. Over a
dataset that takes `(epoch, index)` keys (`takes_epoch_keys`: the pre-training datasets) its
workers are persistent (started once, not per epoch: on a GPU node restarting 8 workers with
their decoders every epoch costs seconds of idle GPU), since the epoch reaches them with every
index rather than through the dataset object they were forked with; other datasets (the task
heads') get workers started per epoch, after `set_epoch`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Sampler

from core.data.sampler import ResumableSampler


def seed_worker(worker_id: int) -> None:
    """Seed the global RNGs of a worker from the loader's seed (for code that uses them)."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def build_loader(
    dataset: Dataset,
    batch_size: int | None,
    *,
    workers: int = 0,
    seed: int = 0,
    shuffle: bool = False,
    drop_last: bool = False,
    collate_fn: Callable[[list[Any]], Any] | None = None,
    sampler: Sampler | None = None,
    batch_sampler: Sampler[list[int]] | None = None,
    pin_memory: bool = False,
    prefetch_factor: int = 2,
) -> DataLoader:
    """A DataLoader with seeded shuffling and seeded workers (evaluation and task fine-tuning);
    `batch_sampler` (whole batches of indices) replaces `batch_size`, `shuffle` and `sampler`."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    given = batch_sampler is not None  # DataLoader then wants its defaults for what the batches decide
    return DataLoader(
        dataset,
        batch_size=1 if given else batch_size,
        shuffle=shuffle if sampler is None and not given else False,
        sampler=sampler,
        batch_sampler=batch_sampler,
        drop_last=False if given else drop_last,
        num_workers=workers,
        collate_fn=collate_fn,
        pin_memory=pin_memory,
        worker_init_fn=seed_worker if workers else None,
        generator=generator,
        prefetch_factor=prefetch_factor if workers else None,
        persistent_workers=False,
    )


class EpochTagged(Sampler):
    """`(epoch, index)` keys from a ResumableSampler: how persistent workers learn the epoch."""

    def __init__(self, sampler: ResumableSampler):
        self.sampler = sampler

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.sampler.epoch
        return ((epoch, i) for i in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)


class PretrainLoader:
    """Iterates the pre-training batches of one epoch per `iter()`, from the sampler's position.

    `len()` is the number of batches left in the current epoch. After the last batch of an epoch
    the sampler moves to the next epoch, so `for epoch ...: for batch in loader:` just works, and
    so does `state_dict()` / `load_state_dict()` at any step.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        *,
        workers: int = 0,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = True,
        pin_memory: bool = False,
        prefetch_factor: int = 2,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.workers = workers
        self.seed = seed
        self.drop_last = drop_last
        self.pin_memory = pin_memory
        self.prefetch_factor = prefetch_factor
        self.sampler = ResumableSampler(len(dataset), seed=seed, rank=rank, world_size=world_size)
        self.collate_fn = collate_fn  # None: torch's default collation
        self._loader: DataLoader | None = None  # built once: its workers persist across epochs

    @property
    def epoch(self) -> int:
        return self.sampler.epoch

    def __len__(self) -> int:
        left = len(self.sampler)
        return left // self.batch_size if self.drop_last else -(-left // self.batch_size)

    def _data_loader(self, epoch: int) -> DataLoader:
        if self._loader is not None:
            return self._loader
        if not getattr(self.dataset, "takes_epoch_keys", False):
            return build_loader(self.dataset, self.batch_size, workers=self.workers, seed=self.seed + epoch,
                                sampler=self.sampler, drop_last=self.drop_last, collate_fn=self.collate_fn,
                                pin_memory=self.pin_memory, prefetch_factor=self.prefetch_factor)
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        self._loader = DataLoader(
            self.dataset, batch_size=self.batch_size, sampler=EpochTagged(self.sampler), drop_last=self.drop_last,
            num_workers=self.workers, collate_fn=self.collate_fn, pin_memory=self.pin_memory,
            worker_init_fn=seed_worker if self.workers else None, generator=generator,
            prefetch_factor=self.prefetch_factor if self.workers else None, persistent_workers=self.workers > 0,
        )
        return self._loader

    def __iter__(self) -> Iterator[dict[str, Any]]:
        epoch = self.sampler.epoch
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)  # workers started now (and 0 workers) read it here; keyed ones from keys
        loader = self._data_loader(epoch)
        count = len(loader)
        if count == 0:  # fewer samples left than a batch: nothing to yield, the epoch is over
            self.sampler.set_epoch(epoch + 1)
            return
        for number, batch in enumerate(loader):
            if number == count - 1 and self.drop_last:
                # The tail that drop_last leaves is skipped: the epoch is complete.
                self.sampler.set_epoch(epoch + 1)
            else:
                self.sampler.advance(len(batch["index"]))
            yield batch

    def state_dict(self) -> dict[str, Any]:
        return self.sampler.state_dict()

    def load_state_dict(self, state: dict[str, Any], reshard: bool = False) -> None:
        """Continue from `state`; `reshard`: it was saved by another number of ranks."""
        self.sampler.load_state_dict(state, reshard)


class TrainingLoader(Protocol):
    """What the run harness needs of a training loader: batches, and a position to save and restore."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any], reshard: bool = False) -> None: ...


def build_pretrain_loader(
    dataset: Dataset, batch_size: int, *, workers: int = 0, seed: int = 0, rank: int = 0, world_size: int = 1,
    pin_memory: bool = False, collate_fn: Callable[[list[Any]], Any] | None = None, prefetch_factor: int = 2,
) -> TrainingLoader:
    """The training loader: resumable sharded sampling, the dataset's batch collation, seeded draws.
    A streaming dataset (shards, `core.data.stream`) gets a `StreamLoader`: it splits and orders
    itself (its rank and seed are its own) and collates its batches in its workers."""
    if isinstance(dataset, IterableDataset):
        from core.data.stream import StreamLoader

        return StreamLoader(dataset, batch_size, workers=workers, pin_memory=pin_memory,
                            prefetch_factor=prefetch_factor)
    return PretrainLoader(dataset, batch_size, workers=workers, seed=seed, rank=rank, world_size=world_size,
                          pin_memory=pin_memory, prefetch_factor=prefetch_factor, collate_fn=collate_fn)
