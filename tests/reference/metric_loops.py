"""Straightforward loop implementations of metrics: the references the vectorised ones are checked
against (by the tests, and by `bench/metrics.py` for speed). Slow on purpose: one item at a time,
in the order the official evaluation code walks them.
"""

from __future__ import annotations

import numpy as np


def loop_tiou(a: list, b: list) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (b[1] - b[0]) + (a[1] - a[0]) - inter
    return inter / union if union > 0 else 0.0


def loop_interpolated_ap(prec: list, rec: list) -> float:
    mprec = [0.0, *prec, 0.0]
    mrec = [0.0, *rec, 1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    terms = [(mrec[i] - mrec[i - 1]) * mprec[i] for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1]]
    return float(np.sum(np.array(terms)))


def loop_tal_ap(gt_json: dict, pred_json: dict, subset: str, thresholds) -> tuple[np.ndarray, dict[str, int]]:
    """AP [thresholds, classes] and the classes' columns, one class, one threshold, one prediction at
    a time, as ActivityNet's evaluation walks them."""
    classes, gt_by_class = {}, {}
    for vid, entry in gt_json["database"].items():
        if entry["subset"] == subset:
            for ann in entry["annotations"]:
                classes.setdefault(ann["label"], len(classes))
                gt_by_class.setdefault(ann["label"], {}).setdefault(vid, []).append(ann["segment"])
    pred_by_class = {c: [] for c in classes}
    for vid, preds in pred_json["results"].items():
        for p in preds:
            if p["label"] in pred_by_class:
                pred_by_class[p["label"]].append((vid, p["score"], p["segment"]))
    ap = np.zeros((len(thresholds), len(classes)))
    for label, k in classes.items():
        preds = sorted(pred_by_class[label], key=lambda x: -x[1])  # stable
        videos = gt_by_class[label]
        n_pos = sum(len(s) for s in videos.values())
        for t, thr in enumerate(thresholds):
            if not preds:
                continue
            used = {vid: [False] * len(segs) for vid, segs in videos.items()}
            tp = []
            for vid, _, seg in preds:
                best, best_tiou = -1, -1.0
                for j, g in enumerate(videos.get(vid, [])):
                    iou = loop_tiou(seg, g)
                    if not used[vid][j] and iou >= thr and iou > best_tiou:
                        best, best_tiou = j, iou
                if best >= 0:
                    used[vid][best] = True
                tp.append(1.0 if best >= 0 else 0.0)
            tp_cum = np.cumsum(tp)
            fp_cum = np.cumsum(1 - np.array(tp))
            ap[t, k] = loop_interpolated_ap(list(tp_cum / (tp_cum + fp_cum)), list(tp_cum / n_pos))
    return ap, classes
