"""Open-ended video QA: top-1 accuracy over all test questions.

Shapes: N questions, A answers in the vocabulary. Gold answers outside the vocabulary are
encoded as -1 and stay in the denominator: they count as wrong whatever the prediction
(DATA_FORMATS.md: "Out-of-vocabulary answers stay in the test set and count as wrong").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.arrays import check_numeric, to_numpy

OUT_OF_VOCABULARY = -1


def qa_accuracy(pred: Any, gold: Any) -> float:
    """Percent of questions answered correctly.

    `pred` is either answer indices [N] or scores [N, A] (then the argmax, ties to the lower
    index); `gold` is answer indices [N] with -1 for an out-of-vocabulary answer (always wrong).
    """
    pred = to_numpy(pred)
    gold = to_numpy(gold)
    check_numeric(pred, "pred")
    if gold.ndim != 1 or gold.size == 0:
        raise ValueError(f"gold must be a non-empty 1-D array, got shape {gold.shape}")
    if gold.dtype.kind not in "iu":
        raise ValueError(f"gold must hold integer answer indices, got dtype {gold.dtype}")
    if gold.min() < OUT_OF_VOCABULARY:
        raise ValueError("gold answer indices must be >= 0, or -1 for out-of-vocabulary")
    if pred.ndim not in (1, 2):
        raise ValueError(f"pred must be indices [N] or scores [N, A], got shape {pred.shape}")
    if pred.ndim == 2:
        if pred.shape[1] == 0 or (pred.dtype.kind == "f" and np.isnan(pred).any()):
            raise ValueError("pred scores must be a non-empty [N, A] array without NaN")
            raise ValueError("pred scores contain NaN")
        pred = pred.argmax(axis=1)  # [N]; argmax returns the first maximum
    if pred.shape != gold.shape:
        raise ValueError(f"pred has {pred.shape[0]} questions, gold has {gold.shape[0]}")
    correct = (pred == gold) & (gold != OUT_OF_VOCABULARY)  # [N]
    return float(100.0 * correct.mean())
