"""The resumable sampler and the loaders: resume exactly, same batches with 0 or 2 workers."""

from __future__ import annotations

import pytest
import torch

from core.data.formats import read_index
from core.data.loader import build_pretrain_loader
from core.data.sampler import ResumableSampler
from core.data.tasks import PretrainDataset
from tests.core.data.layouts import make_captions


def epochs(sampler: ResumableSampler, count: int) -> list[int]:
    out = []
    for epoch in range(count):
        sampler.set_epoch(epoch)
        out += list(sampler)
    return out


def test_sampler_permutes_per_epoch_and_shards():
    sampler = ResumableSampler(10, seed=3)
    first, second = epochs(sampler, 2)[:10], epochs(sampler, 2)[10:]
    assert sorted(first) == list(range(10)) and first != second
    shards = [ResumableSampler(10, seed=3, rank=r, world_size=3) for r in range(3)]
    parts = [list(s) for s in shards]
    assert all(len(p) == 4 for p in parts)  # 10 padded to 12
    assert set().union(*parts) == set(range(10))


def test_sampler_resume_reproduces_the_sequence():
    full = epochs(ResumableSampler(7, seed=5), 3)
    sampler = ResumableSampler(7, seed=5)
    taken = list(sampler)[:3]
    sampler.advance(3)
    state = sampler.state_dict()
    resumed = ResumableSampler(7, seed=5)
    resumed.load_state_dict(state)
    rest = list(resumed)
    resumed.advance(len(rest))
    assert resumed.epoch == 1 and resumed.position == 0
    rest += epochs_from(resumed, 2)
    assert taken + rest == full


def epochs_from(sampler: ResumableSampler, count: int) -> list[int]:
    out = []
    for _ in range(count):
        items = list(sampler)
        sampler.advance(len(items))
        out += items
    return out


def test_sampler_refuses_a_state_of_other_data():
    state = ResumableSampler(7).state_dict()
    with pytest.raises(ValueError, match="7 samples"):
        ResumableSampler(8).load_state_dict(state)


@pytest.fixture
def dataset(tmp_path, minilm_tokenizer):
    index = read_index("captions", make_captions(tmp_path / "cap", n=5))
    return PretrainDataset([index], minilm_tokenizer, num_frames=4, size=32, seed=7, noun_cache=tmp_path / "nouns")


def run(loader, batches: int) -> list[dict]:
    out = []
    while len(out) < batches:
        for batch in loader:
            out.append(batch)
            if len(out) == batches:
                break
    return out


def same(a: list[dict], b: list[dict]) -> bool:
    keys = ("frames", "caption_ids", "caption_mask", "noun_ids", "noun_mask", "index")
    return len(a) == len(b) and all(torch.equal(x[k], y[k]) for x, y in zip(a, b, strict=True) for k in keys)


def test_loader_is_deterministic_with_0_and_2_workers(dataset):
    serial = run(build_pretrain_loader(dataset, 2, workers=0, seed=1, collate_fn=dataset.collate()), 5)  # 6 samples: 3 batches per epoch
    parallel = run(build_pretrain_loader(dataset, 2, workers=2, seed=1, collate_fn=dataset.collate()), 5)
    assert same(serial, parallel)
    assert not torch.equal(serial[0]["frames"], serial[3]["frames"]) or \
        serial[0]["index"].tolist() != serial[3]["index"].tolist()


def test_loader_resumes_where_it_stopped(dataset):
    uninterrupted = run(build_pretrain_loader(dataset, 2, seed=4, collate_fn=dataset.collate()), 7)
    first = build_pretrain_loader(dataset, 2, seed=4, collate_fn=dataset.collate())
    head = run(first, 4)  # one epoch (3 batches) and one batch of the next
    state = first.state_dict()
    assert state["epoch"] == 1 and state["position"] == 2
    second = build_pretrain_loader(dataset, 2, seed=4, collate_fn=dataset.collate())
    second.load_state_dict(state)
    assert len(second) == 2
    assert same(head + run(second, 3), uninterrupted)


class PidDataset(torch.utils.data.Dataset):
    """Items that say which process made them, and for which epoch."""

    takes_epoch_keys = True

    def __init__(self):
        self.epoch = -1

    def __len__(self) -> int:
        return 8

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, key):
        import os

        epoch, i = key
        return {"index": i, "epoch": epoch, "pid": os.getpid()}


def test_workers_persist_across_epochs_and_learn_each_epoch():
    loader = build_pretrain_loader(PidDataset(), 4, workers=2, seed=0)
    epochs = [list(loader) for _ in range(3)]
    pids = [{int(p) for b in batches for p in b["pid"]} for batches in epochs]
    assert len(pids[0]) == 2 and pids[0] == pids[1] == pids[2]  # the same two worker processes
    assert [{int(e) for b in batches for e in b["epoch"]} for batches in epochs] == [{0}, {1}, {2}]


class PlainDataset(PidDataset):
    """A dataset of plain int keys (the task heads'): workers start per epoch and get its epoch."""

    takes_epoch_keys = False

    def __getitem__(self, i):
        return super().__getitem__((self.epoch, i))


def test_datasets_of_int_keys_get_workers_per_epoch():
    loader = build_pretrain_loader(PlainDataset(), 4, workers=2, seed=0)
    epochs = [list(loader) for _ in range(2)]
    pids = [{int(p) for b in batches for p in b["pid"]} for batches in epochs]
    assert not pids[0] & pids[1]  # new workers each epoch
    assert [{int(e) for b in batches for e in b["epoch"]} for batches in epochs] == [{0}, {1}]
