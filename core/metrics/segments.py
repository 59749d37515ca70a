"""Temporal segments: tIoU and non-maximum suppression.

Shapes: a segment is [2] = (start, end) in seconds; N, M segments are [N, 2], [M, 2].

tIoU is computed exactly as ActivityNet's evaluation does (intersection clipped at 0, union =
length + length - intersection), in float64, so threshold comparisons agree with it to the bit.
Degenerate pairs with an empty union (two zero-length segments at the same instant) get tIoU 0
rather than NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.arrays import to_numpy


def _as_segments(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(to_numpy(x), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape [N, 2], got {arr.shape}")
    return arr


def _ratio(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def tiou(segment: Any, segments: Any) -> np.ndarray:
    """tIoU of one segment [2] against each of `segments` [N, 2] -> [N]."""
    seg = np.asarray(to_numpy(segment), dtype=np.float64).reshape(-1)
    if seg.shape != (2,):
        raise ValueError(f"segment must have shape [2], got {np.shape(segment)}")
    segs = _as_segments(segments, "segments")
    inter = (np.minimum(seg[1], segs[:, 1]) - np.maximum(seg[0], segs[:, 0])).clip(0)  # [N]
    union = (segs[:, 1] - segs[:, 0]) + (seg[1] - seg[0]) - inter  # [N]
    return _ratio(inter, union)


def pairwise_tiou(a: Any, b: Any) -> np.ndarray:
    """tIoU of every pair: a [N, 2], b [M, 2] -> [N, M]."""
    a = _as_segments(a, "a")
    b = _as_segments(b, "b")
    inter = (np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])).clip(0)
    union = (b[None, :, 1] - b[None, :, 0]) + (a[:, None, 1] - a[:, None, 0]) - inter  # [N, M]
    return _ratio(inter, union)


def _score_order(segments: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    segs = _as_segments(segments, "segments")
    scores = np.asarray(to_numpy(scores), dtype=np.float64)
    if scores.shape != (segs.shape[0],):
        raise ValueError(f"scores must have shape ({segs.shape[0]},), got {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    # Stable: equal scores keep their input order, so results do not depend on the sort algorithm.
    return segs, scores, np.argsort(-scores, kind="stable")


def nms(segments: Any, scores: Any, threshold: float) -> np.ndarray:
    """Hard NMS: indices of the kept segments, highest score first.

    Walking down the scores (ties in input order), a segment is kept unless its tIoU with an
    already kept segment is greater than `threshold`.
    """
    segs, _, order = _score_order(segments, scores)
    keep: list[int] = []
    while order.size:
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        order = rest[tiou(segs[best], segs[rest]) <= threshold]
    return np.asarray(keep, dtype=np.int64)


def soft_nms(
    segments: Any, scores: Any, sigma: float = 0.5, min_score: float = 0.0, max_keep: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS with Gaussian decay: (indices [K], decayed scores [K]), highest decayed score first.

    Repeatedly take the segment with the highest current score (ties: lower input index) and
    multiply every remaining score by exp(-tIoU^2 / sigma) with it. Stops after `max_keep`
    segments or when the best remaining score is below `min_score`.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    segs, scores, _ = _score_order(segments, scores)
    remaining = np.arange(segs.shape[0])  # input order, so argmax ties pick the lower index
    current = scores.copy()
    limit = segs.shape[0] if max_keep is None else min(max_keep, segs.shape[0])
    keep: list[int] = []
    kept_scores: list[float] = []
    while remaining.size and len(keep) < limit:
        pick = int(np.argmax(current))
        if current[pick] < min_score:
            break
        best = remaining[pick]
        keep.append(int(best))
        kept_scores.append(float(current[pick]))
        remaining = np.delete(remaining, pick)
        current = np.delete(current, pick)
        current = current * np.exp(-(tiou(segs[best], segs[remaining]) ** 2) / sigma)
    return np.asarray(keep, dtype=np.int64), np.asarray(kept_scores, dtype=np.float64)
