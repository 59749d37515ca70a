"""Precision-recall curves and a chance level for temporal action localization.

Shape letters: G ground-truth instances, P predictions.

PR curves use the matching ActivityNet's AP uses (`core.metrics.tal`): per class, predictions in
score order (stable) each take the unmatched same-video ground truth with the highest tIoU at or
above the threshold (equal tIoU: the one listed first). The curves are then POOLED OVER CLASSES:
all predictions in score order (stable), precision = true positives so far / predictions so far,
recall = true positives so far / all ground-truth instances. (Per class, the same matching gives
exactly the APs of `tal_map`; a test checks it.)

Chance: the mAP of random detections (uniform centre and length inside the video, uniform class,
uniform score), as many per video as the model made, averaged over a few seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.activitynet import GroundTruth, Predictions
from core.metrics.tal import threshold_key

MAX_POINTS = 200  # curve points kept in the eval JSON


def true_positives(gt: GroundTruth, pred: Predictions, threshold: float) -> np.ndarray:
    """Whether each prediction (file order) is a true positive at `threshold`: [P] bool."""
    tp = np.zeros(pred.score.size, dtype=bool)
    for k in range(len(gt.classes)):
        mine = np.flatnonzero(pred.label == k)
        order = mine[np.argsort(-pred.score[mine], kind="stable")]
        gts = np.flatnonzero(gt.label == k)
        taken = np.zeros(gt.label.size, dtype=bool)
        for p in order:
            if pred.video[p] < 0:
                continue
            cand = gts[(gt.video[gts] == pred.video[p]) & ~taken[gts]]
            if cand.size == 0:
                continue
            seg = pred.segment[p]
            inter = (np.minimum(seg[1], gt.segment[cand, 1]) - np.maximum(seg[0], gt.segment[cand, 0])).clip(0)
            union = (gt.segment[cand, 1] - gt.segment[cand, 0]) + (seg[1] - seg[0]) - inter
            iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            best = int(np.argmax(iou))  # first maximum: the ground truth listed first
            if iou[best] >= threshold:
                tp[p] = True
                taken[cand[best]] = True
    return tp


def class_ap(gt: GroundTruth, pred: Predictions, tp: np.ndarray, k: int) -> float:
    """All-point interpolated AP of class k from the true positives (for the consistency test)."""
    n_gt = int((gt.label == k).sum())
    mine = np.flatnonzero(pred.label == k)
    if n_gt == 0 or mine.size == 0:
        return 0.0
    hits = tp[mine[np.argsort(-pred.score[mine], kind="stable")]]
    cum = np.cumsum(hits)
    precision = cum / np.arange(1, hits.size + 1)
    recall = cum / n_gt
    precision = np.concatenate([[0.0], precision, [0.0]])
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def pooled_pr(gt: GroundTruth, pred: Predictions, thresholds: Any) -> dict[str, dict[str, list[float]]]:
    """{"0.50": {"precision": [...], "recall": [...]}, ...}: curves pooled over classes."""
    order = np.argsort(-pred.score, kind="stable")
    curves = {}
    for threshold in thresholds:
        hits = true_positives(gt, pred, float(threshold))[order]
        if hits.size == 0:
            curves[threshold_key(float(threshold))] = {"precision": [], "recall": []}
            continue
        cum = np.cumsum(hits)
        precision = cum / np.arange(1, hits.size + 1)
        recall = cum / max(gt.label.size, 1)
        keep = np.unique(np.linspace(0, hits.size - 1, min(MAX_POINTS, hits.size)).round().astype(int))
        curves[threshold_key(float(threshold))] = {"precision": [round(float(v), 5) for v in precision[keep]],
                                                   "recall": [round(float(v), 5) for v in recall[keep]]}
    return curves


def random_submission(durations: dict[str, float], counts: dict[str, int], classes: list[str],
                      seed: int) -> dict[str, Any]:
    """Random detections: `counts[v]` per video, uniform centre/length inside [0, duration], class, score."""
    rng = np.random.default_rng(seed)
    results = {}
    for vid, duration in durations.items():
        n = max(1, counts.get(vid, 1))
        centre = rng.uniform(0, duration, n)
        half = rng.uniform(0, duration, n) / 2
        start, end = np.clip(centre - half, 0, duration), np.clip(centre + half, 0, duration)
        labels = rng.integers(len(classes), size=n)
        scores = rng.random(n)
        results[vid] = [{"label": classes[int(k)], "score": float(s), "segment": [float(a), float(b)]}
                        for a, b, k, s in zip(start, end, labels, scores, strict=True)]
    return {"version": "VERSION 1.3", "results": results, "external_data": {"used": False, "details": ""}}


def chance_map(ground_truth: dict[str, Any], subset: str, durations: dict[str, float], counts: dict[str, int],
               classes: list[str], seeds: int = 3) -> dict[str, float]:
    """Mean over `seeds` random submissions of {"mAP@0.50", ..., "avg_mAP"} (percent)."""
    from core.metrics.tal import tal_map

    totals: dict[str, float] = {}
    for seed in range(seeds):
        scores = tal_map(ground_truth, random_submission(durations, counts, classes, seed), subset)
        for key, value in {**{f"mAP@{k}": v for k, v in scores["mAP"].items()},
                           "avg_mAP": scores["average_mAP"]}.items():
            totals[key] = totals.get(key, 0.0) + value / seeds
    return totals
