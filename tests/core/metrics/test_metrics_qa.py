"""QA accuracy: out-of-vocabulary gold answers count as wrong."""

import numpy as np
import pytest
import torch

from core.metrics.qa import qa_accuracy


def test_accuracy_counts_oov_as_wrong():
    gold = np.array([3, 1, -1, -1])
    assert qa_accuracy(np.array([3, 0, 5, -1]), gold) == 25.0  # -1 == -1 is still wrong
    assert qa_accuracy(torch.tensor([3, 1, 0, 0]), torch.tensor(gold)) == 50.0


def test_scores_use_argmax_ties_to_lower_index():
    scores = np.array([[0.2, 0.2, 0.1], [0.0, 0.5, 0.5]])
    assert qa_accuracy(scores, np.array([0, 1])) == 100.0
    assert qa_accuracy(scores, np.array([1, 2])) == 0.0


@pytest.mark.parametrize(
    ("pred", "gold", "message"),
    [
        (np.array([1, 2]), np.array([1]), "questions"),
        (np.array([1]), np.array([], dtype=int), "non-empty"),
        (np.array([1]), np.array([1.0]), "integer"),
        (np.array([1]), np.array([-2]), "out-of-vocabulary"),
        (np.zeros((1, 2, 3)), np.array([1]), "shape"),
        (np.array([[np.nan, 1.0]]), np.array([1]), "NaN"),
    ],
)
def test_rejects_malformed_input(pred, gold, message):
    with pytest.raises(ValueError, match=message):
        qa_accuracy(pred, gold)
