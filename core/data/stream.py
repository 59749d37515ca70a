"""Streaming pre-training data: WebDataset shards, and file datasets alongside, as one resumable stream.

Shape letters: B batch, T frames, S crop size (the batch is `PretrainCollate`'s, its `index` being
each item's position in its epoch of this rank's stream, plus `stream_next`: the stream position
after the batch, which the loader keeps as its state).

Sources are registered datasets that `sviml data prepare` has prepared: a shard dataset's
prepared tables list every sample's member offset, captions and noun phrases, so training never
parses a tar nor runs spaCy; a file dataset contributes its captioned samples in blocks
(`core.data.stream_plan`). Each rank reads the units `stream_plan` gives it, through a shuffle
buffer, epoch after epoch without a pause.

Workers: every worker computes its rank's plan (cheap: counts only) and decodes only the batches
numbered w, w + W, ... of the stream (W workers): the DataLoader's round robin then delivers the
batches in stream order, and the batches do not depend on the number of workers. An item's random
draws come from (seed, epoch, source, part, offset); an unreadable member is replaced by the next
readable item of the stream and counted in `skipped`, as for files.

Resume: `StreamLoader.state_dict()` is the (epoch, position) of the next unconsumed item of this
rank's stream; loading it continues with exactly the batches an uninterrupted run would have
seen, at the same world size (any number of workers).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from core.data.clip_cache import ClipCache
from core.data.clip_plan import ClipPlan, plan_clip
from core.data.index import DatasetIndex, Sample
from core.data.noun_phrases import DEFAULT_TEMPLATE
from core.data.shards.layout import ShardSample, read_member
from core.data.stream_plan import Unit, file_permutation, rank_plan
from core.data.tasks.clips import ClipReader, log, warn_skip
from core.data.tasks.pretrain import PairMaker, captioned_items, load_phrases
from core.data.video import VideoReadError, frame_range, open_video, uniform_indices
from core.errors import UserError

if TYPE_CHECKING:
    from core.registry import Registry
    from core.settings import Settings

TABLES_KEPT = 8  # prepared shard tables a worker keeps parsed (the buffer spans a few shards)
_WARNED: set[str] = set()  # unreadable items this process logged already (one line each, not per epoch)


@dataclass
class ShardSource:
    """A prepared shard dataset: its shards, their prepared tables and sample counts."""

    name: str
    root: Path
    shards: list[str]
    counts: list[int]
    tables: Path
    _cache: OrderedDict[int, dict[str, Any]] = field(default_factory=OrderedDict, repr=False)

    def units(self, source: int, block: int) -> list[Unit]:
        return [Unit(source, part, count) for part, count in enumerate(self.counts) if count > 0]

    def fingerprint(self) -> list[Any]:
        return [self.name, self.counts]

    def table(self, part: int) -> dict[str, Any]:
        table = self._cache.get(part)
        if table is None:
            from core.data.prepare import shard_table_path

            table = json.loads(shard_table_path(self.tables, self.shards[part]).read_text(encoding="utf-8"))
            self._cache[part] = table
            if len(self._cache) > TABLES_KEPT:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(part)
        return table

    def sample(self, part: int, offset: int) -> ShardSample:
        return ShardSample.from_row(self.table(part)["samples"][offset])


@dataclass
class FileSource:
    """A prepared file dataset's captioned samples with a video, streamed in blocks of `block`."""

    name: str
    index: DatasetIndex
    items: list[Sample]
    phrases: dict[str, list[str]]

    def units(self, source: int, block: int) -> list[Unit]:
        count = len(self.items)
        return [Unit(source, part, min(block, count - part * block)) for part in range(-(-count // block))]

    def fingerprint(self) -> list[Any]:
        return [self.name, len(self.items)]


Source = ShardSource | FileSource


def load_stream_sources(registry: Registry, settings: Settings, names: Sequence[str], split: str = "train"
                        ) -> list[Source]:
    """The prepared sources of registered datasets `names` (UserError if one is not prepared)."""
    from core.data.prepare import noun_tables, prepared_record
    from core.data.registration import SHARD_KIND, load_registered
    from core.data.shards.registration import load_shards

    sources: list[Source] = []
    for name in names:
        dataset = registry.require_dataset(name)
        record = prepared_record(dataset)
        if dataset.kind == SHARD_KIND:
            shards = load_shards(registry, name)
            manifest = json.loads((Path(record["path"]) / "manifest.json").read_text(encoding="utf-8"))
            counts = [int(manifest["counts"].get(shard, 0)) for shard in shards.shards]
            sources.append(ShardSource(name, shards.root, shards.shards, counts, Path(record["path"])))
            continue
        index = load_registered(registry, name)
        items, _ = captioned_items([index], split)
        if not items:
            raise UserError(f"{name}: no captioned clip with a video in split {split!r}")
        phrases = load_phrases([index], items, noun_tables(settings), extract=False)
        sources.append(FileSource(name, index, [s for _, s in items], phrases))
    return sources


class StreamingPretrainDataset(IterableDataset):
    """The pre-training items of one rank as a stream of batches (see the module docstring)."""

    def __init__(
        self,
        sources: Sequence[Source],
        tokenizer: Any,
        *,
        rank: int = 0,
        world_size: int = 1,
        num_frames: int = 8,
        size: int = 64,
        num_nouns: int = 2,
        template: str = DEFAULT_TEMPLATE,
        max_caption_len: int = 32,
        max_noun_len: int = 16,
        seed: int = 0,
        jitter: bool = False,
        scale: tuple[float, float] = (0.4, 1.0),
        buffer: int = 1000,
        block: int = 0,
        clip_cache: ClipCache | None = None,
        max_skips: int = 64,
        decode_short_side: int | None = None,
        deferred: bool = False,
    ):
        self.sources = list(sources)
        self.deferred = deferred  # GPU decoding: items carry decode plans (core.data.clip_plan)
        self.rank, self.world_size = rank, world_size
        self.seed, self.jitter, self.buffer, self.max_skips = seed, jitter, buffer, max_skips
        shard_counts = [c for s in self.sources if isinstance(s, ShardSource) for c in s.counts if c > 0]
        # File blocks as large as a typical shard: units of comparable size mix evenly.
        self.block = block or (int(np.median(shard_counts)) if shard_counts else 256)
        self.units = [u for number, s in enumerate(self.sources) for u in s.units(number, self.block)]
        if len(self.units) < world_size:
            raise UserError(f"{', '.join(self.names)}: {len(self.units)} shards or blocks for {world_size} processes: "
                            "every process needs at least one (write smaller shards with `sviml data shard "
                            "--shard-size N`)")
        self.total = sum(u.count for u in self.units)
        self.reader = ClipReader(num_frames, clip_cache, decode_short_side)
        self.num_frames, self.decode_short_side = num_frames, decode_short_side
        self.pairs = PairMaker(tokenizer, size=size, num_nouns=num_nouns, template=template,
                               max_caption_len=max_caption_len, max_noun_len=max_noun_len, scale=scale)
        for source in self.sources:
            if isinstance(source, FileSource):
                self.pairs.warm(source.phrases)
        self.start = (0, 0)  # (epoch, position) the next iteration starts at (the loader sets it)
        self.batch_size = 1
        self._plans: OrderedDict[int, np.ndarray] = OrderedDict()

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def __len__(self) -> int:
        return self.total

    def fingerprint(self) -> list[Any]:
        """What a saved position is only valid for: the sources, their sizes, the order's knobs."""
        return [[s.fingerprint() for s in self.sources], self.block, self.buffer, self.seed, self.world_size]

    def collate(self) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
        return self.pairs.collate()

    # -- the stream's order ----------------------------------------------------------------------
    def plan(self, epoch: int) -> np.ndarray:
        """This rank's items of `epoch`: int64 [N, 3] (source, part, offset), memoised for two epochs."""
        plan = self._plans.get(epoch)
        if plan is None:
            plan = rank_plan(self.units, self.seed, epoch, self.rank, self.world_size, self.buffer)
            self._plans[epoch] = plan
            if len(self._plans) > 2:
                self._plans.popitem(last=False)
        return plan

    def advance(self, epoch: int, position: int, steps: int) -> tuple[int, int]:
        """The stream position `steps` items after (epoch, position)."""
        position += steps
        while position >= len(self.plan(epoch)):
            position -= len(self.plan(epoch))
            epoch += 1
        return epoch, position

    # -- one item --------------------------------------------------------------------------------
    def _file_sample(self, source_no: int, epoch: int, part: int, offset: int) -> Sample:
        source = self.sources[source_no]
        assert isinstance(source, FileSource)
        number = file_permutation(self.seed, epoch, source_no, len(source.items))[part * self.block + offset]
        return source.items[int(number)]

    def _decode(self, epoch: int, row: np.ndarray, rng: np.random.Generator
                ) -> tuple[np.ndarray | ClipPlan, Sequence[str], dict[str, list[str]], str]:
        """(frames uint8 [T, H, W, 3] or, deferred, a decode plan; captions; their phrases; the item's
        name) of one stream item."""
        source_no, part, offset = (int(v) for v in row)
        source = self.sources[source_no]
        draw = rng if self.jitter else None
        if isinstance(source, FileSource):
            sample = self._file_sample(source_no, epoch, part, offset)
            read = self.reader.plan if self.deferred else self.reader.clip
            try:
                frames = read(source.index, sample, draw)
            except VideoReadError as err:
                warn_skip(sample, err)
                raise VideoReadError(f"{sample.id}: {err}") from err
            return frames, sample.captions, source.phrases, sample.id
        member = source.sample(part, offset)
        name = f"{source.shards[part]}:{member.key}"
        shard = source.root / source.shards[part]
        try:
            data = read_member(shard, member.offset, member.size)
        except OSError as err:
            raise VideoReadError(f"{name}: {err}") from err
        video = open_video(data, name=name, short_side=None if self.deferred else self.decode_short_side)
        first, stop = frame_range(video.info, member.start, member.end)
        indices = uniform_indices(first, stop, self.num_frames, draw)
        if self.deferred:
            plan = plan_clip(str(shard), name, indices, self.decode_short_side, (member.offset, member.size), data)
            return plan, member.captions, source.table(part)["phrases"], name
        return video.frames(indices), member.captions, source.table(part)["phrases"], name

    def item(self, epoch: int, position: int) -> dict[str, Any]:
        """The item at stream position (epoch, position); an unreadable one is replaced by the next
        readable item of the stream, deterministically."""
        skipped: list[str] = []
        at = (epoch, position)
        for _ in range(self.max_skips + 1):
            row = self.plan(at[0])[at[1]]
            rng = np.random.default_rng([self.seed, at[0], *(int(v) for v in row)])
            try:
                frames, captions, phrases, _ = self._decode(at[0], row, rng)
            except VideoReadError as err:
                name = str(err).split(": ")[0]  # errors start with the item's name (shard:key, or the sample id)
                if name not in _WARNED:
                    _WARNED.add(name)
                    log.warning("skipping %s: %s", name, err)
                skipped.append(name)
                at = self.advance(*at, 1)
                continue
            return self.pairs.make(frames, captions, phrases, rng, at[1], skipped)
        raise RuntimeError(f"{len(skipped)} consecutive unreadable items from epoch {epoch} position {position} on "
                           f"({skipped[0]}, ...): run `sviml data verify --full` on the dataset")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        collate = self.collate()
        epoch, position = self.start
        number = 0
        while True:
            if number % workers == worker:
                items, at = [], (epoch, position)
                for _ in range(self.batch_size):
                    items.append(self.item(*at))
                    at = self.advance(*at, 1)
                batch = collate(items)
                batch["stream_next"] = at
                yield batch
            epoch, position = self.advance(epoch, position, self.batch_size)
            number += 1


class StreamLoader:
    """The training loader over a `StreamingPretrainDataset`: one endless iteration from the saved
    position; `state_dict()` after any batch resumes with the next one."""

    def __init__(self, dataset: StreamingPretrainDataset, batch_size: int, *, workers: int = 0,
                 pin_memory: bool = False, prefetch_factor: int = 2):
        self.dataset = dataset
        self.batch_size = batch_size
        self.workers = workers
        self.pin_memory = pin_memory
        self.prefetch_factor = prefetch_factor
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        """Batches left in this rank's current epoch (the stream goes on after it)."""
        return max(0, len(self.dataset.plan(self.epoch)) - self.position) // self.batch_size

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from core.data.loader import seed_worker

        self.dataset.start = (self.epoch, self.position)
        self.dataset.batch_size = self.batch_size
        # Its own generator: the DataLoader draws its workers' base seed from it, never from the global
        # RNG, whose state a checkpoint restores (a draw there would shift a resumed run's stream).
        generator = torch.Generator()
        generator.manual_seed(self.dataset.seed + self.epoch)
        loader = DataLoader(self.dataset, batch_size=None, num_workers=self.workers, pin_memory=self.pin_memory,
                            generator=generator, worker_init_fn=seed_worker if self.workers else None,
                            prefetch_factor=self.prefetch_factor if self.workers else None,
                            persistent_workers=False)
        for batch in loader:
            self.epoch, self.position = (int(v) for v in batch.pop("stream_next"))
            yield batch

    def state_dict(self) -> dict[str, Any]:
        return {"stream": True, "epoch": self.epoch, "position": self.position, "batch_size": self.batch_size,
                "world_size": self.dataset.world_size, "fingerprint": self.dataset.fingerprint()}

    def load_state_dict(self, state: dict[str, Any], reshard: bool = False) -> None:
        """Continue from `state`. A stream's position cannot be resharded (`reshard`: it was saved by
        another number of ranks): each rank's share of the shards is its own order, refused below."""
        if not state.get("stream"):
            raise ValueError("the checkpoint's data position is of a file loader, this run streams shards: "
                             "resume with the same data.datasets")
        if state["world_size"] != self.dataset.world_size:
            raise ValueError(f"the stream position is for world size {state['world_size']}, this run has "
                             f"{self.dataset.world_size}: resume with the same number of processes")
        if state["fingerprint"] != json.loads(json.dumps(self.dataset.fingerprint())):
            raise ValueError("the streamed datasets (or their shards, block or buffer size, seed) changed since "
                             "the checkpoint: its position does not apply")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
