"""Action metrics: the lower-index tie rule for top-k, mean class accuracy, multi-view averaging."""

import numpy as np
import pytest
import torch

from core.metrics.action import action_metrics, average_views


def naive_rank(logits, label):
    """Sort classes by (-logit, index) and find the true class."""
    order = sorted(range(len(logits)), key=lambda c: (-logits[c], c))
    return order.index(label)


def test_hand_computed():
    logits = np.array(
        [
            [5.0, 1.0, 0.0],  # label 0: top-1
            [5.0, 1.0, 0.0],  # label 1: rank 1
            [0.0, 1.0, 5.0],  # label 1: rank 1
            [0.0, 0.0, 9.0],  # label 2: top-1
        ]
    )
    out = action_metrics(logits, np.array([0, 1, 1, 2]))
    assert out == {"top1": 50.0, "top5": 100.0, "mean_class_acc": pytest.approx(200 / 3)}
    assert all(type(v) is float for v in out.values())


def test_ties_go_to_the_lower_class_index():
    equal = np.zeros((1, 7))
    assert action_metrics(equal, np.array([0]))["top1"] == 100.0  # class 0 wins the tie
    assert action_metrics(equal, np.array([1]))["top1"] == 0.0
    assert action_metrics(equal, np.array([4]))["top5"] == 100.0  # classes 0-3 ahead: rank 4
    assert action_metrics(equal, np.array([5]))["top5"] == 0.0  # classes 0-4 ahead: rank 5
    # equal logit but a higher index does not rank ahead of the true class
    logits = np.array([[1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]])
    assert action_metrics(logits, np.array([1]))["top1"] == 100.0
    assert action_metrics(logits, np.array([6]))["top5"] == 0.0


def test_fewer_than_five_classes_is_always_top5():
    assert action_metrics(np.array([[0.0, 1.0, 2.0]]), np.array([0]))["top5"] == 100.0


def test_mean_class_accuracy_over_present_classes():
    logits = np.eye(4)[[0, 0, 0, 1]]  # predictions 0, 0, 0, 1
    out = action_metrics(logits, np.array([0, 0, 1, 1]))  # class 0: 2/2, class 1: 1/2; 2, 3 absent
    assert out["mean_class_acc"] == 75.0 and out["top1"] == 75.0


@pytest.mark.parametrize("seed", range(3))
def test_matches_loop_reference_with_ties(seed):
    rng = np.random.default_rng(seed)
    logits = rng.integers(0, 3, size=(200, 9)).astype(np.float32)
    labels = rng.integers(0, 9, 200)
    ranks = np.array([naive_rank(row.tolist(), y) for row, y in zip(logits, labels, strict=True)])
    out = action_metrics(logits, labels)
    assert out["top1"] == pytest.approx(100 * np.mean(ranks < 1))
    assert out["top5"] == pytest.approx(100 * np.mean(ranks < 5))
    per_class = [np.mean(ranks[labels == c] < 1) for c in np.unique(labels)]
    assert out["mean_class_acc"] == pytest.approx(100 * np.mean(per_class))


def test_average_views():
    logits = torch.tensor([[[1.0, 0.0], [3.0, 2.0]]])  # [1, 2, 2]
    assert average_views(logits).tolist() == [[2.0, 1.0]]
    with pytest.raises(ValueError, match=r"\[N, V, C\]"):
        average_views(np.zeros((2, 3)))


@pytest.mark.parametrize(
    ("logits", "labels", "message"),
    [
        (np.zeros((2, 3)), np.array([0]), "shape"),
        (np.zeros((2, 3)), np.array([0, 3]), r"\[0, 3\)"),
        (np.zeros((2, 3)), np.array([0, -1]), r"\[0, 3\)"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), "integer"),
        (np.zeros(3), np.array([0]), r"\[N, C\]"),
        (np.array([[np.nan, 0.0]]), np.array([0]), "NaN"),
    ],
)
def test_rejects_malformed_input(logits, labels, message):
    with pytest.raises(ValueError, match=message):
        action_metrics(logits, labels)
