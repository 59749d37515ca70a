"""Score prediction files offline: retrieval similarities, action logits, ActivityNet detections.

These back `sviml eval score {retrieval,tal,action}`. Each scorer reads the files, checks them,
and calls the pure metric in `core.metrics`. Bad input (a missing file, something that is not
a .npy array or ActivityNet JSON, a wrong shape, NaN, labels out of range, a malformed segment,
a subset without videos) raises `UserError` with one line that names the file and the problem.
Returned dicts hold plain floats (JSON serialisable); values in percent, ranks as ranks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import UserError
from core.metrics.action import action_metrics, average_views
from core.metrics.activitynet import parse_ground_truth, parse_predictions
from core.metrics.retrieval import retrieval_metrics
from core.metrics.tal import tal_map_arrays


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _require_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file")
    if not p.is_file():
        raise UserError(f"{p}: not a file")
    return p


def _load_npy(path: str | Path) -> np.ndarray:
    p = _require_file(path)
    try:
        arr = np.load(p, allow_pickle=False)  # never unpickle: a .npy from elsewhere may run code
    except (ValueError, OSError, EOFError) as err:
        raise UserError(f"{p}: not a valid .npy array file ({_one_line(err)})") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive loads as a lazy mapping
        arr.close()
        raise UserError(f"{p}: an .npz archive; expected a single .npy array")
    if arr.dtype.kind not in "iuf":
        raise UserError(f"{p}: holds {arr.dtype} values; expected numbers")
    return arr


def _load_json(path: str | Path) -> Any:
    p = _require_file(path)
    try:
        with p.open(encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{p}: not valid JSON ({_one_line(err)})") from None


def _require_finite(arr: np.ndarray, path: Path, what: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise UserError(f"{path}: {what} contain NaN or infinite values")


def score_retrieval_file(path: str | Path) -> dict[str, dict[str, float]]:
    """Retrieval metrics of a [texts, videos] similarity matrix saved as .npy, ground truth on the diagonal.

    Returns `{"t2v": {"R@1", "R@5", "R@10", "MdR", "MnR"}, "v2t": {...}}`.
    """
    sim = _load_npy(path)
    p = Path(path)
    if sim.ndim != 2:
        raise UserError(f"{p}: expected a 2-D texts x videos matrix, got shape {sim.shape}")
    if sim.shape[0] == 0 or sim.shape[0] != sim.shape[1]:
        raise UserError(
            f"{p}: ground truth on the diagonal needs a non-empty square matrix, got shape {sim.shape}"
        )
    _require_finite(sim, p, "similarities")
    return retrieval_metrics(sim)


def score_action_files(logits_path: str | Path, labels_path: str | Path) -> dict[str, float]:
    """Action metrics of logits [N, C] (or [N, V, C], views averaged) against labels [N] in [0, C).

    Returns `{"top1", "top5", "mean_class_acc"}`.
    """
    logits = _load_npy(logits_path)
    labels = _load_npy(labels_path)
    lp, yp = Path(logits_path), Path(labels_path)
    if logits.ndim not in (2, 3) or 0 in logits.shape:
        raise UserError(f"{lp}: expected non-empty logits [N, C] or [N, V, C], got shape {logits.shape}")
    _require_finite(logits, lp, "logits")
    if logits.ndim == 3:
        logits = average_views(logits)
    n, n_class = logits.shape
    if labels.ndim != 1:
        raise UserError(f"{yp}: expected labels [N], got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise UserError(f"{yp}: labels must be integers, got {labels.dtype}")
    if labels.shape[0] != n:
        raise UserError(f"{yp}: {labels.shape[0]} labels for {n} videos in {lp}")
    bad = np.flatnonzero((labels < 0) | (labels >= n_class))
    if bad.size:
        first = f"first: {int(labels[bad[0]])} at index {int(bad[0])}"
        raise UserError(f"{yp}: {bad.size} labels outside [0, {n_class}) ({first})")
    return action_metrics(logits, labels)


def score_tal_files(gt_path: str | Path, pred_path: str | Path, subset: str = "validation") -> dict[str, Any]:
    """ActivityNet v1.3 detection mAP of a submission JSON against a ground-truth JSON.

    Returns `{"mAP": {"0.50": ..., ..., "0.95": ...}, "average_mAP": ...}` (percent).
    Predictions with labels outside the subset's ground-truth classes are ignored; predictions
    on videos outside the subset are false positives.
    """
    gt_data = _load_json(gt_path)
    pred_data = _load_json(pred_path)
    try:
        gt = parse_ground_truth(gt_data, subset)
    except ValueError as err:
        raise UserError(f"{Path(gt_path)}: {_one_line(err)}") from None
    try:
        pred = parse_predictions(pred_data, gt)
    except ValueError as err:
        raise UserError(f"{Path(pred_path)}: {_one_line(err)}") from None
    result = tal_map_arrays(gt, pred)
    return {"mAP": result["mAP"], "average_mAP": result["average_mAP"]}
