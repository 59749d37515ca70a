"""Retrieval metrics: hand-computed cases, tie rules, several captions per video, and a loop reference."""

import numpy as np
import pytest
import torch

from core.metrics import retrieval
from core.metrics.retrieval import rank_metrics, retrieval_metrics, retrieval_ranks


def naive_ranks(sim, text_to_video=None):
    """Plain loops over the definition: rank = #candidates scoring >= the ground truth."""
    sim = np.asarray(sim)
    n_text, n_video = sim.shape
    gt = list(range(n_text)) if text_to_video is None else [int(v) for v in text_to_video]
    t2v = [sum(1 for j in range(n_video) if sim[i, j] >= sim[i, gt[i]]) for i in range(n_text)]
    v2t = []
    for j in range(n_video):
        captions = [i for i in range(n_text) if gt[i] == j]
        v2t.append(min(sum(1 for k in range(n_text) if sim[k, j] >= sim[c, j]) for c in captions))
    return np.array(t2v), np.array(v2t)


def test_hand_computed_square():
    sim = np.array(
        [
            [0.9, 0.1, 0.2],  # text 0: gt best -> rank 1
            [0.8, 0.5, 0.1],  # text 1: one video higher -> rank 2
            [0.7, 0.9, 0.3],  # text 2: two higher -> rank 3
        ]
    )
    t2v, v2t = retrieval_ranks(sim)
    assert t2v.tolist() == [1, 2, 3]
    # video 0: column (0.9, 0.8, 0.7), gt 0.9 -> 1; video 1: (0.1, 0.5, 0.9), gt 0.5 -> 2;
    # video 2: (0.2, 0.1, 0.3), gt 0.3 -> 1
    assert v2t.tolist() == [1, 2, 1]
    out = retrieval_metrics(sim)
    assert out["t2v"] == {"R@1": pytest.approx(100 / 3), "R@5": 100.0, "R@10": 100.0, "MdR": 2.0, "MnR": 2.0}
    assert out["v2t"]["R@1"] == pytest.approx(200 / 3)
    assert out["v2t"]["MdR"] == 1.0 and out["v2t"]["MnR"] == pytest.approx(4 / 3)
    assert all(type(v) is float for d in out.values() for v in d.values())


def test_ties_are_pessimistic():
    sim = np.ones((4, 4), dtype=np.float32)  # scores everything alike: no credit
    t2v, v2t = retrieval_ranks(sim)
    assert t2v.tolist() == [4, 4, 4, 4] and v2t.tolist() == [4, 4, 4, 4]
    out = retrieval_metrics(sim)
    assert out["t2v"]["R@1"] == 0.0 and out["t2v"]["MdR"] == 4.0
    # one tie with the gt: rank counts the tied candidate too
    sim = np.array([[0.5, 0.5, 0.1], [0.0, 1.0, 0.0], [0.2, 0.3, 0.4]])
    assert retrieval_ranks(sim)[0].tolist() == [2, 1, 1]


def test_tie_free_equals_one_plus_higher():
    rng = np.random.default_rng(3)
    sim = rng.standard_normal((50, 50))
    t2v, _ = retrieval_ranks(sim)
    higher = (sim > np.diag(sim)[:, None]).sum(1)
    assert (t2v == 1 + higher).all()


def test_median_of_even_count():
    assert rank_metrics(np.array([1, 2, 3, 10]))["MdR"] == 2.5
    assert rank_metrics(np.array([1, 6, 11, 12])) == {
        "R@1": 25.0,
        "R@5": 25.0,
        "R@10": 50.0,
        "MdR": 8.5,
        "MnR": 7.5,
    }


def test_several_captions_per_video():
    # texts 0, 1 describe video 0; texts 2, 3 describe video 1
    sim = np.array(
        [
            [0.2, 0.9],  # text 0 -> video 0 at rank 2
            [0.8, 0.1],  # text 1 -> rank 1
            [0.7, 0.6],  # text 2 -> video 1 at rank 2
            [0.1, 0.6],  # text 3 -> rank 1
        ]
    )
    t2v, v2t = retrieval_ranks(sim, text_to_video=np.array([0, 0, 1, 1]))
    assert t2v.tolist() == [2, 1, 2, 1]
    # video 0: best caption is text 1 (0.8); column (0.2, 0.8, 0.7, 0.1) -> rank 1.
    # video 1: best captions texts 2 and 3 tie at 0.6; text 0 scores 0.9 -> 0.9, 0.6, 0.6 >= 0.6 -> 3.
    assert v2t.tolist() == [1, 3]
    out = retrieval_metrics(sim, text_to_video=[0, 0, 1, 1])
    assert out["v2t"]["R@1"] == 50.0 and out["v2t"]["MnR"] == 2.0
    assert out["t2v"]["R@1"] == 50.0


@pytest.mark.parametrize("seed", range(5))
def test_matches_loop_reference_with_ties(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(retrieval, "_BLOCK_ELEMENTS", 37)  # many blocks, ragged last one
    sim = rng.integers(0, 4, size=(23, 23)).astype(np.float32)  # 4 values: ties everywhere
    assert [r.tolist() for r in retrieval_ranks(sim)] == [r.tolist() for r in naive_ranks(sim)]
    n_video = 9
    text_to_video = np.concatenate([np.arange(n_video), rng.integers(0, n_video, 20)])
    rng.shuffle(text_to_video)
    sim = rng.integers(0, 5, size=(text_to_video.size, n_video)).astype(np.float64)
    got = retrieval_ranks(sim, text_to_video)
    want = naive_ranks(sim, text_to_video)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_accepts_torch_and_integers():
    sim = torch.tensor([[3, 1], [2, 2]])
    assert retrieval_metrics(sim) == retrieval_metrics(sim.numpy().astype(np.float64))
    assert retrieval_metrics(torch.eye(3, dtype=torch.bfloat16))["t2v"]["R@1"] == 100.0


def test_float64_is_not_rounded_to_float32():
    # distinct in float64, equal in float32: must stay a strict win
    sim = np.array([[1.0 + 1e-12, 1.0], [0.0, 1.0]])
    assert retrieval_ranks(sim)[0].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("sim", "mapping", "message"),
    [
        (np.zeros((2, 3)), None, "square"),
        (np.zeros(3), None, "2-D"),
        (np.zeros((0, 0)), None, "non-empty"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), None, "NaN"),
        (np.zeros((3, 2)), np.array([0, 1, 2]), r"\[0, 2\)"),
        (np.zeros((3, 2)), np.array([0, 0, 0]), "no caption"),
        (np.zeros((3, 2)), np.array([0, 1]), "shape"),
        (np.zeros((2, 2)), np.array([0.0, 1.0]), "integers"),
        (np.array([["a", "b"], ["c", "d"]]), None, "numbers"),
    ],
)
def test_rejects_malformed_input(sim, mapping, message):
    with pytest.raises(ValueError, match=message):
        retrieval_metrics(sim, mapping)
