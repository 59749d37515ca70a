"""Batches of each task's dataset: keys, shapes, dtypes; skipping bad videos."""

from __future__ import annotations

import logging

import pytest
import torch

from core.data.clip_cache import ClipCache
from core.data.formats import read_index
from core.data.loader import build_loader
from core.data.tasks import (
    ActionDataset,
    LocalizationDataset,
    PretrainDataset,
    QADataset,
    RetrievalDataset,
    build_answer_vocab,
    collate_action,
    collate_retrieval,
)
from tests.core.data.layouts import make_anet, make_captions, make_msrvtt, make_msrvtt_qa, make_ucf
from tests.core.data.media import truncate


@pytest.fixture
def pretrain(tmp_path, minilm_tokenizer):
    def build(**kwargs):
        indexes = [read_index("captions", make_captions(tmp_path / "cap")),
                   read_index("msrvtt", make_msrvtt(tmp_path / "m"))]
        return PretrainDataset(indexes, minilm_tokenizer, num_frames=4, size=32, noun_cache=tmp_path / "nouns",
                               **kwargs)
    return build


def test_pretrain_batch(pretrain):
    dataset = pretrain(seed=1)
    assert len(dataset) == 5 + 3  # captions clips + msrvtt train videos
    batch = dataset.collate()([dataset[i] for i in range(4)])
    assert set(batch) == {"frames", "caption_ids", "caption_mask", "noun_ids", "noun_mask", "index", "skipped",
                          "skipped_ids"}
    B = 4
    assert batch["frames"].shape == (B, 4, 3, 32, 32) and batch["frames"].dtype == torch.uint8
    L = batch["caption_ids"].shape[1]
    assert batch["caption_ids"].shape == batch["caption_mask"].shape == (B, L) and L <= 32
    assert batch["noun_ids"].shape[:2] == (B, 2) and batch["noun_ids"].shape == batch["noun_mask"].shape
    assert batch["noun_ids"].shape[2] <= 16
    for key in ("caption_ids", "caption_mask", "noun_ids", "noun_mask", "index", "skipped"):
        assert batch[key].dtype == torch.long
    assert batch["index"].tolist() == [0, 1, 2, 3] and batch["skipped"].tolist() == [0, 0, 0, 0]
    assert (batch["caption_mask"].sum(1) == (batch["caption_ids"] != 0).sum(1)).all()


def test_pretrain_prompts_come_from_the_caption(pretrain, minilm_tokenizer):
    dataset = pretrain(seed=0)
    item = dataset[0]  # "a big red square moves left while a small blue circle spins"
    prompts = {minilm_tokenizer.decode(ids, skip_special_tokens=True) for ids in item["nouns"]}
    assert prompts == {"a photo of a big red square.", "a photo of a small blue circle."}


def test_pretrain_skips_a_corrupt_video(pretrain, tmp_path, caplog):
    dataset = pretrain(seed=0)
    truncate(tmp_path / "cap" / "videos" / "clip1.mp4", 0.3)
    with caplog.at_level(logging.WARNING, logger="sviml.data"):
        item = dataset[1]
        dataset[1]
    assert item["index"] == 2 and item["skipped"] == ["videos/clip1.mp4"]
    assert sum("skipping videos/clip1.mp4" in r.getMessage() for r in caplog.records) <= 1


def test_pretrain_leaves_out_missing_videos(tmp_path, minilm_tokenizer):
    root = make_captions(tmp_path / "cap", windows=False)
    (root / "videos" / "clip3.mp4").unlink()
    dataset = PretrainDataset([read_index("captions", root)], minilm_tokenizer, num_frames=4, size=32)
    assert len(dataset) == 3 and dataset.missing == ["videos/clip3.mp4"]


def test_pretrain_clip_cache_gives_the_same_batch(pretrain, tmp_path):
    plain = pretrain(seed=2)
    cached = pretrain(seed=2, clip_cache=ClipCache(tmp_path / "clips"))
    first = [cached[i]["frames"] for i in range(3)]
    again = [cached[i]["frames"] for i in range(3)]
    assert cached.reader.cache.hits == 3
    for i in range(3):
        assert torch.equal(plain[i]["frames"], first[i]) and torch.equal(first[i], again[i])


def test_retrieval_dataset(tmp_path, minilm_tokenizer):
    root = make_msrvtt(tmp_path / "m")
    (root / "videos" / "all" / "video8.mp4").unlink()
    dataset = RetrievalDataset(read_index("msrvtt", root), minilm_tokenizer, num_frames=4, size=32)
    batch = collate_retrieval([dataset[i] for i in range(len(dataset))])
    assert batch["frames"].shape == (2, 4, 3, 32, 32) and batch["frames"].dtype == torch.uint8
    assert batch["valid"].tolist() == [True, False] and batch["index"].tolist() == [0, 1]
    assert dataset.caption_video.tolist() == [0, 1]
    ids, mask = dataset.caption_tokens()
    assert ids.shape == mask.shape and ids.shape[0] == 2
    views = RetrievalDataset(read_index("msrvtt", root), num_frames=4, size=32, views=2)[0]["frames"]
    assert views.shape == (2, 4, 3, 32, 32)


def test_qa_dataset(tmp_path, minilm_tokenizer):
    index = read_index("msrvtt-qa", make_msrvtt_qa(tmp_path / "qa"))
    vocab = build_answer_vocab(index.split("train"), top_k=2)
    assert vocab == ["blue", "red"]
    dataset = QADataset(index, minilm_tokenizer, vocab, split="test", num_frames=4, size=32)
    batch = dataset.collate()([dataset[0], dataset[1]])
    assert batch["frames"].shape == (2, 4, 3, 32, 32)
    assert batch["question_ids"].shape == batch["question_mask"].shape and batch["question_ids"].shape[0] == 2
    assert batch["answer_index"].tolist() == [-1, 1]  # "square" is out of vocabulary
    assert batch["answers"] == ["square", "red"] and batch["valid"].tolist() == [True, True]
    train = QADataset(index, minilm_tokenizer, vocab, split="train", train=True, num_frames=4, size=32)
    assert train[0]["frames"].shape == (4, 3, 32, 32)


def test_action_dataset_train_and_multiview(tmp_path):
    index = read_index("ucf101", make_ucf(tmp_path / "ucf"))
    train = ActionDataset(index, split="train", train=True, num_frames=4, size=32)
    batch = collate_action([train[i] for i in range(3)])
    assert batch["frames"].shape == (3, 4, 3, 32, 32) and batch["label"].tolist() == [0, 0, 1]
    test = ActionDataset(index, split="test", num_frames=4, size=32, views=2, crops=3)
    loader = build_loader(test, 3, collate_fn=collate_action)
    batch = next(iter(loader))
    assert batch["frames"].shape == (3, 6, 4, 3, 32, 32) and batch["frames"].dtype == torch.uint8
    assert batch["label"].tolist() == [0, 1, 2] and batch["valid"].all()


def test_localization_dataset(tmp_path):
    root = make_anet(tmp_path / "anet")
    (root / "videos" / "v_vidC.mp4").unlink()
    index = read_index("activitynet", root)
    dataset = LocalizationDataset(index, split="val", window=4, stride=4, size=32)
    item = dataset[0]
    assert item["frames"].shape == (6, 4, 3, 32, 32) and item["starts"].tolist() == [0, 1, 2, 3, 4, 5]
    assert item["duration"] == 6.0 and item["valid"]
    assert item["segments"].tolist() == [[1.0, 2.0], [3.0, 5.5]] and item["labels"].tolist() == [0, 1]
    missing = LocalizationDataset(index, split="test", window=4, stride=4, size=32)[0]
    assert not missing["valid"] and missing["frames"].shape == (0, 4, 3, 32, 32)
    loader = build_loader(dataset, None)
    assert next(iter(loader))["frames"].shape == (6, 4, 3, 32, 32)
