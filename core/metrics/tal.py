"""Temporal action localization: ActivityNet v1.3 detection mAP, plus the segment helpers.

`tal_map` reproduces ActivityNet's official evaluation (`eval_detection.py`) on the parsed
ground-truth JSON and submission JSON, with sviml's stated rules (DATA_FORMATS.md, "Metrics"):
- per class, predictions are sorted by score descending with a STABLE sort: equal scores keep
  file order (videos in the order of `results`, then list order);
- each prediction takes the not-yet-matched ground truth of its video (same class) with the
  highest tIoU >= threshold (equal tIoU: the gt listed first) and is a true positive, else a
  false positive; a prediction on a video outside the subset, unknown, or without ground truth
  of its class is a false positive;
- AP is all-point interpolated (precision made monotone, summed over recall steps), for all
  thresholds at once per class; a class with ground truth and no predictions has AP 0;
- mAP at a threshold is the mean over the classes present in the subset's ground truth;
  `average_mAP` is the mean over thresholds;
- predictions whose label is not a ground-truth class of the subset are ignored: AP exists only
  for ground-truth classes (the official code iterates over those), so such predictions cannot
  change any AP. (The official script stops with a KeyError on them instead; on every file it
  accepts, ignoring them gives the same numbers.)
Where the official code is silent or platform dependent, sviml fixes the rule: equal scores keep
file order and equal tIoU goes to the gt listed first (the official code orders both with an
unstable, reversed `argsort`, which leaves ties to the sort algorithm). Its "blocked videos" (a server that no longer exists) are not consulted.
All values are percent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.activitynet import GroundTruth, Predictions, parse_ground_truth, parse_predictions
from core.metrics.detection_ap import average_precision_per_class
from core.metrics.segments import nms, pairwise_tiou, soft_nms, tiou

__all__ = ["tal_map", "tal_map_arrays", "threshold_key", "tiou", "pairwise_tiou", "nms", "soft_nms"]

DEFAULT_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def threshold_key(threshold: float) -> str:
    """'0.50', '0.55', ...: two decimals, more only where two would change the value."""
    key = f"{threshold:.2f}"
    return key if abs(float(key) - threshold) < 1e-9 else f"{threshold:g}"


def _check_thresholds(thresholds: Any) -> np.ndarray:
    thr = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if thr.size == 0 or not ((thr > 0) & (thr <= 1)).all():
        raise ValueError(f"tIoU thresholds must be a non-empty list in (0, 1], got {thresholds!r}")
    if len({threshold_key(t) for t in thr}) != thr.size:
        raise ValueError(f"tIoU thresholds must be distinct, got {thresholds!r}")
    return thr


def tal_map_arrays(
    gt: GroundTruth, pred: Predictions, thresholds: Any = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """`tal_map` on already parsed files (see `core.metrics.activitynet`)."""
    thr = _check_thresholds(thresholds)
    ap = average_precision_per_class(gt, pred, thr)  # [T, K], fractions
    m_ap = ap.mean(axis=1)  # [T]
    keys = [threshold_key(t) for t in thr]
    return {
        "mAP": {k: float(100.0 * v) for k, v in zip(keys, m_ap, strict=True)},
        "average_mAP": float(100.0 * m_ap.mean()),
        "per_class": {
            name: {
                "AP": {k: float(100.0 * v) for k, v in zip(keys, ap[:, c], strict=True)},
                "average_AP": float(100.0 * ap[:, c].mean()),
            }
            for c, name in enumerate(gt.classes)
        },
    }


def tal_map(
    ground_truth: dict, prediction: dict, subset: str = "validation", thresholds: Any = DEFAULT_THRESHOLDS
) -> dict[str, Any]:
    """Detection mAP of a submission against ActivityNet v1.3 ground truth, in percent.

    `ground_truth` is the parsed `activity_net.v1-3.min.json` (or any file of that format),
    `prediction` the parsed submission `{"results": {video_id: [{"label", "score", "segment"}]}}`.
    Predictions with labels that are not ground-truth classes of `subset` are ignored.
    Returns `{"mAP": {"0.50": ..., ..., "0.95": ...}, "average_mAP": ...,
    "per_class": {label: {"AP": {"0.50": ...}, "average_AP": ...}}}`.
    Raises ValueError on malformed input or a subset without ground truth.
    """
    thr = _check_thresholds(thresholds)
    gt = parse_ground_truth(ground_truth, subset)
    return tal_map_arrays(gt, parse_predictions(prediction, gt), thr)
