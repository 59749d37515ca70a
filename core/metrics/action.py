"""Action recognition: top-1, top-5 and mean class accuracy, plus multi-view averaging.

Shapes: N videos, C classes, V views (clips) per video.

Tie rule (DATA_FORMATS.md: "ties broken towards the lower class index"): classes are ranked by
logit descending, and among equal logits the lower class index ranks ahead. The true class y
therefore has 0-based rank
    #{c : logit_c > logit_y} + #{c < y : logit_c == logit_y},
and a prediction is top-k correct iff that rank is < k. Consequences: with all logits equal,
class 0 is the top-1 prediction; the true class is in the top-5 iff fewer than five classes beat
it under this order. With C <= k every prediction is top-k correct.

Mean class accuracy averages per-class top-1 accuracy over the classes present in `labels`
(a class with no test video has no accuracy to average).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.arrays import check_indices, check_numeric, to_numpy


def average_views(logits: Any) -> np.ndarray:
    """Multi-view testing: mean of the logits of the V clips of each video, [N, V, C] -> [N, C]."""
    logits = to_numpy(logits)
    check_numeric(logits, "logits")
    if logits.ndim != 3 or logits.shape[1] == 0:
        raise ValueError(f"logits must have shape [N, V, C] with V >= 1, got {logits.shape}")
    return logits.mean(axis=1)


def true_class_rank(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """0-based rank of each true class under the tie rule above: logits [N, C], labels [N] -> [N]."""
    n, n_class = logits.shape
    true_logit = logits[np.arange(n), labels][:, None]  # [N, 1]
    higher = np.count_nonzero(logits > true_logit, axis=1)  # [N]
    lower_index = np.arange(n_class)[None, :] < labels[:, None]  # [N, C]
    tied_ahead = np.count_nonzero((logits == true_logit) & lower_index, axis=1)  # [N]
    return higher + tied_ahead


def action_metrics(logits: Any, labels: Any) -> dict[str, float]:
    """`{"top1", "top5", "mean_class_acc"}` in percent from logits [N, C] and labels [N] in [0, C)."""
    logits = to_numpy(logits)
    labels = to_numpy(labels)
    check_numeric(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must be a non-empty [N, C] array, got shape {logits.shape}")
    n, n_class = logits.shape
    check_indices(labels, "labels", n, n_class)
    if logits.dtype.kind == "f" and np.isnan(logits).any():
        raise ValueError("logits contain NaN")

    rank = true_class_rank(logits, labels)  # [N]
    top1 = rank < 1
    per_class_total = np.bincount(labels, minlength=n_class)  # [C]
    per_class_hit = np.bincount(labels, weights=top1, minlength=n_class)  # [C]
    present = per_class_total > 0
    return {
        "top1": float(100.0 * top1.mean()),
        "top5": float(100.0 * (rank < 5).mean()),
        "mean_class_acc": float(100.0 * np.mean(per_class_hit[present] / per_class_total[present])),
    }
