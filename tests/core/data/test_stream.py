"""Streaming pre-training data: the plan (ranks, buffer), and the stream's batches: independent of the
worker count, resumable exactly, skipping corrupt members, mixing shards with files."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from core.data.loader import build_pretrain_loader
from core.data.prepare import prepare_dataset
from core.data.registration import register_dataset
from core.data.stream import StreamingPretrainDataset, StreamLoader, load_stream_sources
from core.data.stream_plan import Unit, assign_units, rank_plan, shuffle_buffer
from core.errors import UserError
from tests.core.data.layouts import make_captions, make_shards

UNITS = [Unit(0, 0, 5), Unit(0, 1, 3), Unit(0, 2, 4), Unit(1, 0, 2), Unit(1, 1, 2)]


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_every_item_goes_to_exactly_one_rank_each_epoch(world_size):
    every = {(u.source, u.part, k) for u in UNITS for k in range(u.count)}
    for epoch in range(3):
        rows = [tuple(r) for rank in range(world_size) for r in rank_plan(UNITS, 7, epoch, rank, world_size, 4).tolist()]
        assert Counter(rows) == Counter(every)  # none duplicated, none dropped
    loads = [sum(u.count for u in units) for units in assign_units(UNITS, 7, 0, 2)]
    assert abs(loads[0] - loads[1]) <= 5  # whole shards, balanced greedily
    assert rank_plan(UNITS, 7, 0, 0, 1, 4).tolist() != rank_plan(UNITS, 7, 1, 0, 1, 4).tolist()


def test_shuffle_buffer_is_a_local_permutation():
    rng = np.random.default_rng(0)
    order = shuffle_buffer(1000, 10, rng)
    assert sorted(order.tolist()) == list(range(1000))
    assert max(order[i] - i for i in range(1000)) < 10  # no item leaves more than `buffer` places early
    assert shuffle_buffer(5, 1, rng).tolist() == [0, 1, 2, 3, 4]


@pytest.fixture
def sources(registry, settings, tmp_path, real_clips):
    """A prepared shard dataset (4 shards x 3 small real clips, one member corrupt) and a prepared file dataset."""
    small = [real_clips[2], real_clips[3]]  # 176x144 VP9 .webm, 320x136 H.264 .mkv
    make_shards(tmp_path / "shards", small, shards=4, per_shard=3, corrupt=("000020001",))
    register_dataset(registry, "webdataset", tmp_path / "shards", name="web")
    register_dataset(registry, "captions", make_captions(tmp_path / "cap", n=4), name="cap")
    for name in ("web", "cap"):
        prepare_dataset(registry, settings, name)

    def load(*names: str):
        return load_stream_sources(registry, settings, names)

    return load


def stream(sources, tokenizer, names=("web",), **kwargs):
    options = dict(num_frames=4, size=32, seed=5, buffer=4)
    options.update(kwargs)
    return StreamingPretrainDataset(sources(*names), tokenizer, **options)


def take(loader, count: int) -> list[dict]:
    out = []
    for batch in loader:
        out.append(batch)
        if len(out) == count:
            break
    return out


def same(a: list[dict], b: list[dict]) -> bool:
    keys = ("frames", "caption_ids", "noun_ids", "index", "skipped")
    return len(a) == len(b) and all(torch.equal(x[k], y[k]) for x, y in zip(a, b, strict=True) for k in keys)


def test_batches_do_not_depend_on_the_worker_count(sources, minilm_tokenizer):
    serial = take(StreamLoader(stream(sources, minilm_tokenizer), 3, workers=0), 8)  # two epochs of 12 items
    parallel = take(StreamLoader(stream(sources, minilm_tokenizer), 3, workers=2), 8)
    assert same(serial, parallel)
    assert serial[0]["frames"].shape == (3, 4, 3, 32, 32)
    # The corrupt member is replaced by the next item, once per epoch, and counted.
    assert sum(int(b["skipped"].sum()) for b in serial) == 2
    assert sorted(set(i for b in serial for i in b["skipped_ids"])) == ["00002.tar:000020001"]


def test_resume_continues_the_same_stream(sources, minilm_tokenizer):
    straight = take(StreamLoader(stream(sources, minilm_tokenizer), 3), 7)
    first = StreamLoader(stream(sources, minilm_tokenizer), 3)
    head = take(first, 5)  # past the end of the first epoch (12 items)
    state = first.state_dict()
    assert (state["epoch"], state["position"]) == (1, 3)
    second = build_pretrain_loader(stream(sources, minilm_tokenizer), 3, workers=2)
    assert isinstance(second, StreamLoader)
    second.load_state_dict(state)
    assert same(head + take(second, 2), straight)

    other = StreamLoader(stream(sources, minilm_tokenizer, world_size=2, rank=1), 3)
    with pytest.raises(ValueError, match="world size 1"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="changed since the checkpoint"):
        StreamLoader(stream(sources, minilm_tokenizer, buffer=8), 3).load_state_dict(state)


def test_ranks_read_disjoint_shards(sources, minilm_tokenizer):
    plans = [stream(sources, minilm_tokenizer, rank=r, world_size=2).plan(0) for r in (0, 1)]
    shards = [{int(p) for p in plan[:, 1]} for plan in plans]
    assert not shards[0] & shards[1] and shards[0] | shards[1] == {0, 1, 2, 3}
    with pytest.raises(UserError, match="4 shards or blocks for 5 processes"):
        stream(sources, minilm_tokenizer, rank=0, world_size=5)


def test_shards_and_files_mix_in_one_stream(sources, minilm_tokenizer):
    mixed = stream(sources, minilm_tokenizer, names=("web", "cap"))
    assert len(mixed) == 12 + 5 and mixed.block == 3  # file blocks as large as a shard
    plan = mixed.plan(0)
    assert {int(s) for s in plan[:, 0]} == {0, 1} and len(plan) == 17
    batches = take(StreamLoader(mixed, 4, workers=0), 5)
    assert all(b["frames"].shape == (4, 4, 3, 32, 32) for b in batches)


def test_unprepared_datasets_are_refused(registry, settings, tmp_path, real_clips):
    make_shards(tmp_path / "s", real_clips[2:], shards=2, per_shard=2)
    register_dataset(registry, "webdataset", tmp_path / "s", name="raw")
    with pytest.raises(UserError, match="sviml data prepare raw"):
        load_stream_sources(registry, settings, ["raw"])
