"""tIoU, hard NMS and Gaussian soft-NMS."""

import numpy as np
import pytest

from core.metrics.segments import nms, pairwise_tiou, soft_nms, tiou


def test_tiou_hand_computed():
    segs = np.array([[5.0, 15.0], [20.0, 30.0], [2.0, 4.0], [0.0, 10.0], [10.0, 12.0]])
    got = tiou([0.0, 10.0], segs)
    assert got.tolist() == pytest.approx([5 / 15, 0.0, 0.2, 1.0, 0.0])
    assert tiou([3.0, 3.0], np.array([[3.0, 3.0]])).tolist() == [0.0]  # empty union: 0, not NaN


def test_pairwise_matches_one_to_many():
    rng = np.random.default_rng(0)
    a = np.sort(rng.uniform(0, 10, (5, 2)), axis=1)
    b = np.sort(rng.uniform(0, 10, (7, 2)), axis=1)
    got = pairwise_tiou(a, b)
    assert got.shape == (5, 7)
    for i in range(5):
        assert (got[i] == tiou(a[i], b)).all()


def test_nms_keeps_best_and_drops_overlaps():
    segs = np.array([[0, 10], [1, 10], [20, 30], [0, 9], [21, 30]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7, 0.95, 0.7])
    # 3 (0.95) suppresses 0 (tIoU 0.9) and 1 (8/10); 2 and 4 tie at 0.7: 2 first, 4 dropped (0.9)
    assert nms(segs, scores, 0.5).tolist() == [3, 2]
    assert nms(segs, scores, 0.95).tolist() == [3, 0, 1, 2, 4]
    assert nms(np.zeros((0, 2)), np.zeros(0), 0.5).tolist() == []


def test_soft_nms_gaussian_decay():
    segs = np.array([[0.0, 10.0], [5.0, 15.0], [30.0, 40.0]])
    keep, scores = soft_nms(segs, np.array([0.9, 0.8, 0.5]), sigma=0.5)
    decayed = 0.8 * np.exp(-((1 / 3) ** 2) / 0.5)
    assert keep.tolist() == [0, 1, 2]
    assert scores.tolist() == pytest.approx([0.9, decayed, 0.5])
    keep, _ = soft_nms(segs, np.array([0.9, 0.8, 0.5]), sigma=0.5, min_score=0.6)
    assert keep.tolist() == [0, 1]
    keep, _ = soft_nms(segs, np.array([0.5, 0.5, 0.5]), max_keep=2)
    assert keep.tolist() == [0, 2]  # tie -> lower index; 1 then decayed below 2


def test_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        tiou([0, 1], np.zeros((3, 3)))
    with pytest.raises(ValueError, match="scores"):
        nms(np.zeros((2, 2)), np.zeros(3), 0.5)
