"""Scene-cut detection from window features: pure functions, frames in, counts and F1 out.

Shape letters: W windows of one video, C feature width, P predicted cuts, G ground-truth cuts.

- Window w covers frames [start_w, start_w + window). The boundary between windows w and w+1 is
  placed halfway between their centres, (start_w + start_{w+1} + window) / 2 (frames).
- Score of a boundary: the cosine similarity of the two windows' features. A cut is predicted at
  every boundary that is a local minimum of the similarity curve (strictly below the previous
  boundary, at most the next one; the curve's ends count as +inf) and at most the threshold.
- Matching: greedy one-to-one; pairs (prediction, ground truth) within `tolerance` frames taken by
  increasing distance (ties: earlier prediction, then earlier cut). Matched pairs are true
  positives; other predictions false positives; other ground-truth cuts false negatives.
- F1 over a split is pooled over its videos: 2 TP / (2 TP + FP + FN), percent (100 when a split
  has neither cuts nor predictions).
- The threshold is the candidate (every local minimum's similarity on the fitting videos) with the
  best pooled F1 there; ties go to the lower threshold (fewer predictions).
- Chance: every boundary predicted independently with probability = ground-truth cuts /
  boundaries of the scored split, F1 averaged over seeded draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHANCE_DRAWS = 20


@dataclass
class VideoCuts:
    """One video's boundary scores and its ground truth."""

    positions: np.ndarray  # [W-1] boundary frames
    similarity: np.ndarray  # [W-1] cosine of consecutive windows
    truth: np.ndarray  # [G] first frames of new shots


def boundary_positions(starts: np.ndarray, window: int) -> np.ndarray:
    """Window start frames [W] -> [W-1] frames halfway between consecutive windows' centres."""
    starts = np.asarray(starts, dtype=np.float64)
    return (starts[:-1] + starts[1:] + window) / 2.0


def consecutive_similarity(features: np.ndarray) -> np.ndarray:
    """features [W, C] -> [W-1] cosine similarity of consecutive windows."""
    x = features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-12)
    return (x[:-1] * x[1:]).sum(-1)


def local_minima(values: np.ndarray) -> np.ndarray:
    """Indices i with values[i] < values[i-1] and values[i] <= values[i+1] (ends count as +inf)."""
    padded = np.concatenate([[np.inf], values, [np.inf]])
    return np.flatnonzero((values < padded[:-2]) & (values <= padded[2:]))


def predict_cuts(video: VideoCuts, threshold: float) -> np.ndarray:
    """[P] predicted cut frames: local minima of the similarity at most `threshold`."""
    minima = local_minima(video.similarity)
    return video.positions[minima[video.similarity[minima] <= threshold]]


def match_cuts(predicted: np.ndarray, truth: np.ndarray, tolerance: float) -> int:
    """True positives of a greedy one-to-one matching within `tolerance` frames."""
    pairs = sorted((abs(float(p) - float(g)), i, j) for i, p in enumerate(predicted) for j, g in enumerate(truth)
                   if abs(float(p) - float(g)) <= tolerance)
    used_p, used_g = set(), set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return len(used_p)


def f1_percent(tp: int, predicted: int, truth: int) -> float:
    """2 TP / (2 TP + FP + FN) in percent; 100 when there is nothing to find and nothing was found."""
    denominator = predicted + truth
    return 100.0 if denominator == 0 else 100.0 * 2 * tp / denominator


def split_scores(videos: Sequence[VideoCuts], threshold: float, tolerance: float) -> dict[str, float]:
    """Pooled `cut_f1`, `cut_precision`, `cut_recall` (percent) of a split at one threshold."""
    tp = n_pred = n_true = 0
    for video in videos:
        predicted = predict_cuts(video, threshold)
        tp += match_cuts(predicted, video.truth, tolerance)
        n_pred += len(predicted)
        n_true += len(video.truth)
    return {"cut_f1": f1_percent(tp, n_pred, n_true),
            "cut_precision": 100.0 * tp / n_pred if n_pred else 0.0,
            "cut_recall": 100.0 * tp / n_true if n_true else 0.0}


def choose_threshold(videos: Sequence[VideoCuts], tolerance: float) -> tuple[float, float]:
    """(threshold, its pooled F1 on `videos`): the best candidate, ties to the lower threshold."""
    candidates = sorted({float(v.similarity[i]) for v in videos for i in local_minima(v.similarity)})
    best, best_f1 = -np.inf, split_scores(videos, -np.inf, tolerance)["cut_f1"]  # -inf: predict nothing
    for threshold in candidates:
        f1 = split_scores(videos, threshold, tolerance)["cut_f1"]
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best, best_f1


def random_cut_chance(videos: Sequence[VideoCuts], tolerance: float, draws: int = CHANCE_DRAWS,
                      seed: int = 0) -> float:
    """Mean pooled F1 of predicting each boundary with probability (cuts / boundaries), seeded."""
    boundaries = sum(len(v.positions) for v in videos)
    cuts = sum(len(v.truth) for v in videos)
    rate = min(1.0, cuts / boundaries) if boundaries else 0.0
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(draws):
        tp = n_pred = 0
        for video in videos:
            predicted = video.positions[rng.random(len(video.positions)) < rate]
            tp += match_cuts(predicted, video.truth, tolerance)
            n_pred += len(predicted)
        scores.append(f1_percent(tp, n_pred, cuts))
    return float(np.mean(scores))
