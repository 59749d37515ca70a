"""ActivityNet v1.3 files (parsed JSON) -> flat arrays for detection mAP.

Ground truth: `{"database": {video_id: {"subset", "annotations": [{"segment": [s, e], "label"}]}}}`
(the official file's "version", "taxonomy", "duration", ... are allowed and unused).
Predictions: `{"results": {video_id: [{"label", "score", "segment": [s, e]}]}}` ("version" and
"external_data" likewise optional).

Shapes: G ground-truth instances, P predictions, K classes.

Rules (`core.metrics.tal` says how they relate to the official evaluation):
- classes are the labels of the chosen subset's ground truth, in order of first appearance;
- predictions whose label is not one of those classes are ignored (AP exists only for
  ground-truth classes); they are counted in `Predictions.n_ignored`;
- predictions on videos outside the subset (or unknown, or without annotations) are kept: they
  can only be false positives.
Every problem raises ValueError with one line that says where it is (e.g.
`results['v_x'][3].segment: end 2.0 < start 5.0`); callers add the file name.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class GroundTruth:
    """Ground-truth instances of one subset."""

    classes: list[str]  # [K] labels, first-appearance order
    video_ids: list[str]  # subset videos, file order
    video: np.ndarray  # [G] int64 index into video_ids
    label: np.ndarray  # [G] int64 index into classes
    segment: np.ndarray  # [G, 2] float64 (start, end) seconds


@dataclass(frozen=True)
class Predictions:
    """Predictions for ground-truth classes, in file order (videos as in `results`, then list order)."""

    video: np.ndarray  # [P] int64 index into GroundTruth.video_ids, -1 outside the subset
    label: np.ndarray  # [P] int64 index into GroundTruth.classes
    segment: np.ndarray  # [P, 2] float64
    score: np.ndarray  # [P] float64
    n_ignored: int  # predictions dropped because their label is not a ground-truth class


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_segment(seg: Any, where: str) -> None:
    if not isinstance(seg, (list, tuple)) or len(seg) != 2:
        raise ValueError(f"{where}.segment must be a list [start, end], got {seg!r:.60}")
    if not (_is_number(seg[0]) and _is_number(seg[1])):
        raise ValueError(f"{where}.segment must hold two finite numbers, got {seg!r:.60}")
    if seg[1] < seg[0]:
        raise ValueError(f"{where}.segment: end {seg[1]} < start {seg[0]}")


def _require_mapping(x: Any, where: str) -> Mapping:
    if not isinstance(x, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {type(x).__name__}")
    return x


def parse_ground_truth(data: Any, subset: str = "validation") -> GroundTruth:
    """Flatten the ground truth of `subset`; raises ValueError if malformed or the subset is empty."""
    if not isinstance(data, Mapping) or "database" not in data:
        raise ValueError('no "database" object: not an ActivityNet ground-truth file')
    database = _require_mapping(data["database"], '"database"')
    class_index: dict[str, int] = {}
    video_ids: list[str] = []
    video, label, segment = [], [], []
    subsets_seen: set[str] = set()
    for vid, entry in database.items():
        where = f"database[{vid!r}]"
        entry = _require_mapping(entry, where)
        if not isinstance(entry.get("subset"), str):
            raise ValueError(f'{where} has no string "subset"')
        subsets_seen.add(entry["subset"])
        if entry["subset"] != subset:
            continue
        annotations = entry.get("annotations")
        if not isinstance(annotations, list):
            raise ValueError(f'{where} has no "annotations" list')
        v = len(video_ids)
        video_ids.append(vid)
        for j, ann in enumerate(annotations):
            at = f"{where}.annotations[{j}]"
            ann = _require_mapping(ann, at)
            if not isinstance(ann.get("label"), str):
                raise ValueError(f'{at} has no string "label"')
            _check_segment(ann.get("segment"), at)
            video.append(v)
            label.append(class_index.setdefault(ann["label"], len(class_index)))
            segment.append((float(ann["segment"][0]), float(ann["segment"][1])))
    if not video_ids:
        seen = ", ".join(sorted(subsets_seen)) or "none"
        raise ValueError(f"no videos in subset {subset!r} (subsets in the file: {seen})")
    if not class_index:
        raise ValueError(f"subset {subset!r} has {len(video_ids)} videos but no ground-truth annotations")
    return GroundTruth(
        classes=list(class_index),
        video_ids=video_ids,
        video=np.asarray(video, dtype=np.int64),
        label=np.asarray(label, dtype=np.int64),
        segment=np.asarray(segment, dtype=np.float64).reshape(-1, 2),
    )


def parse_predictions(data: Any, gt: GroundTruth) -> Predictions:
    """Flatten a submission against `gt`; raises ValueError if malformed.

    Half a million predictions are typical, so the common case is read with list comprehensions
    and checked on whole arrays; only when that fails is the file walked entry by entry to say
    exactly where the problem is.
    """
    if not isinstance(data, Mapping) or "results" not in data:
        raise ValueError('no "results" object: not an ActivityNet detection results file')
    results = _require_mapping(data["results"], '"results"')
    lists = list(results.values())
    try:
        if not all(type(v) is list for v in lists):
            raise TypeError
        labels = [p["label"] for v in lists for p in v]
        n = len(labels)
        if n == 0:  # np.array([]) would have no float dtype nor a second axis
            scores, segments = np.zeros(0), np.zeros((0, 2))
        else:
            scores = np.array([p["score"] for v in lists for p in v])
            segments = np.array([p["segment"] for v in lists for p in v])
        if not set(map(type, labels)) <= {str}:
            raise TypeError
        if scores.shape != (n,) or scores.dtype.kind not in "iuf" or not np.isfinite(scores).all():
            raise TypeError
        if segments.shape != (n, 2) or segments.dtype.kind not in "iuf" or not np.isfinite(segments).all():
            raise TypeError
        if (segments[:, 1] < segments[:, 0]).any():
            raise TypeError
    except (TypeError, KeyError, ValueError):
        _locate_prediction_error(results)
        raise ValueError('"results" is malformed') from None

    video_index = {vid: i for i, vid in enumerate(gt.video_ids)}
    per_video = np.array([video_index.get(vid, -1) for vid in results], dtype=np.int64)
    video = np.repeat(per_video, [len(v) for v in lists])  # [P]
    class_index = defaultdict(lambda: -1, {c: i for i, c in enumerate(gt.classes)})
    label = np.fromiter(map(class_index.__getitem__, labels), dtype=np.int64, count=len(labels))  # [P]
    known = label >= 0
    return Predictions(
        video=video[known],
        label=label[known],
        segment=segments.astype(np.float64).reshape(-1, 2)[known],
        score=scores.astype(np.float64)[known],
        n_ignored=int((~known).sum()),
    )


def _locate_prediction_error(results: Mapping) -> None:
    """Walk the submission and raise ValueError at its first malformed entry."""
    for vid, preds in results.items():
        where = f"results[{vid!r}]"
        if not isinstance(preds, list):
            raise ValueError(f"{where} must be a list of predictions, got {type(preds).__name__}")
        for j, p in enumerate(preds):
            at = f"{where}[{j}]"
            p = _require_mapping(p, at)
            if not isinstance(p.get("label"), str):
                raise ValueError(f'{at} has no string "label"')
            if not _is_number(p.get("score")):
                raise ValueError(f"{at}.score must be a finite number, got {p.get('score')!r:.60}")
            _check_segment(p.get("segment"), at)
