"""Detection average precision over tIoU thresholds, vectorised (ActivityNet's definition).

Shapes: T thresholds, K classes, G ground-truth instances, P predictions, Q (prediction, gt)
pairs of the same class and video with tIoU >= the lowest threshold, E = eligible (threshold,
pair) edges, M true positives over all thresholds.

Matching. The official evaluation walks each class's predictions by score and lets each one take
the not-yet-matched ground truth of its video with the highest tIoU >= threshold. Read as edges,
that is a greedy matching: order the eligible (prediction, gt) pairs by prediction order, then
tIoU descending, then gt file order, and take a pair iff neither its prediction nor its gt is
taken yet. That greedy result (the lexicographically first maximal matching) can be built in
rounds: every live edge that comes first among the live edges of both its prediction and its gt
is taken, then every edge touching a taken prediction or gt dies. The first live edge overall
always qualifies, so the loop ends; in practice a handful of rounds (about the number of gts per
video and class) settle all thresholds and classes at once.

AP. The official all-point interpolation pads precision with 0 and recall with (0, 1), makes
precision non-increasing from the right and sums recall steps times precision where recall
changes. Recall changes exactly at true positives (plus the padded 1), and the running maximum
of precision from the right is always reached at a true positive, so only true positives are
needed: precision there is (tp count) / (position + 1), recall (tp count) / (#gt). The values,
and the order of the final 1-D sums, are the official ones, so AP agrees with it to the bit.
"""

from __future__ import annotations

import numpy as np

from core.metrics.activitynet import GroundTruth, Predictions


def _heads(keys: np.ndarray) -> np.ndarray:
    """Mask of the first element of every run of equal keys: [n] -> [n] bool."""
    head = np.empty(keys.size, dtype=bool)
    head[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=head[1:])
    return head


def _sort_by_class_then_score(label: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Order [P]: class ascending, score descending, ties in file order (both sorts are stable)."""
    by_score = np.argsort(-score, kind="stable")
    # Small integer keys get numpy's radix sort: linear time.
    small = label.astype(np.int16) if label.size and label.max() < np.iinfo(np.int16).max else label
    return by_score[np.argsort(small[by_score], kind="stable")]


def _pairs(gt: GroundTruth, label: np.ndarray, video: np.ndarray, segment: np.ndarray, min_tiou: float):
    """(prediction, gt) pairs of the same class and video with tIoU >= min_tiou.

    Predictions are given in sorted order. Returns pair_pred [Q] (sorted position), pair_gt [Q]
    (gt index) and pair_tiou [Q], ordered by prediction, then tIoU descending, then gt file order.
    """
    n_video = len(gt.video_ids)
    gt_order = np.lexsort((gt.video, gt.label))  # [G], stable: file order inside a (class, video)
    gt_key = gt.label[gt_order] * n_video + gt.video[gt_order]
    group_key, group_start, group_count = np.unique(gt_key, return_index=True, return_counts=True)

    pred_key = label * n_video + video  # [P]
    group = np.searchsorted(group_key, pred_key).clip(max=len(group_key) - 1)  # [P]
    cand = np.flatnonzero((video >= 0) & (group_key[group] == pred_key))  # can match, sorted order
    count = group_count[group[cand]]
    pair_pred = np.repeat(cand, count)  # [Q0]
    offset = np.arange(pair_pred.size) - np.repeat(np.cumsum(count) - count, count)
    pair_gt = gt_order[np.repeat(group_start[group[cand]], count) + offset]  # [Q0]

    # The official formula (prediction = target, gts = candidates) so that comparisons agree.
    ps, pe = segment[pair_pred, 0], segment[pair_pred, 1]
    gs, ge = gt.segment[pair_gt, 0], gt.segment[pair_gt, 1]
    inter = (np.minimum(pe, ge) - np.maximum(ps, gs)).clip(0)
    union = (ge - gs) + (pe - ps) - inter
    pair_tiou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    keep = np.flatnonzero(pair_tiou >= min_tiou)  # pairs below every threshold can never match
    keep = keep[_sort_blocks_by_tiou(pair_pred[keep], pair_tiou[keep])]
    return pair_pred[keep], pair_gt[keep], pair_tiou[keep]


def _sort_blocks_by_tiou(pair_pred: np.ndarray, pair_tiou: np.ndarray) -> np.ndarray:
    """Order [Q] that sorts each prediction's block of pairs by tIoU descending (stable).

    Blocks are short (the gts of one class in one video), so blocks of equal length are sorted
    as the rows of one small matrix: far cheaper than a lexsort of all pairs.
    """
    starts = np.flatnonzero(_heads(pair_pred))
    sizes = np.diff(np.append(starts, pair_pred.size))
    order = np.arange(pair_pred.size)
    for size in np.unique(sizes[sizes > 1]):
        rows = starts[sizes == size][:, None] + np.arange(size)  # [blocks, size]
        by_tiou = np.argsort(-pair_tiou[rows], axis=1, kind="stable")  # equal tIoU keeps gt file order
        order[rows] = np.take_along_axis(rows, by_tiou, axis=1)
    return order


def _match(
    pair_pred: np.ndarray, pair_gt: np.ndarray, eligible: np.ndarray, n_pred: int, n_gt: int
) -> np.ndarray:
    """Greedy matching for every threshold at once; eligible [T, Q] -> true positives [T, P] (bool)."""
    n_thr = eligible.shape[0]
    # int32 indices where they fit: the rounds are memory bound, half the bytes is most of the win.
    fits = max(n_thr * n_pred, n_thr * n_gt, eligible.size) < np.iinfo(np.int32).max
    itype = np.int32 if fits else np.int64
    thr_idx, pair_idx = (a.astype(itype) for a in np.nonzero(eligible))  # by threshold, then priority
    edge_pred = thr_idx * itype(n_pred) + pair_pred.astype(itype)[pair_idx]  # [E] (threshold, prediction)
    edge_gt = thr_idx * itype(n_gt) + pair_gt.astype(itype)[pair_idx]  # [E] (threshold, gt)
    n_edge = edge_pred.size

    # Live edges in priority order, carrying their keys so that a round only filters arrays.
    live_id, live_p, live_g = np.arange(n_edge, dtype=itype), edge_pred, edge_gt
    matched = np.zeros(n_thr * n_pred, dtype=bool)
    locked = np.zeros(n_thr * n_gt, dtype=bool)
    while live_id.size:
        head_p = live_id[_heads(live_p)]  # each live prediction's best live edge
        first_of_gt = np.full(n_thr * n_gt, n_edge, dtype=itype)
        np.minimum.at(first_of_gt, live_g, live_id)  # each live gt's earliest live edge
        take = head_p[first_of_gt[edge_gt[head_p]] == head_p]
        matched[edge_pred[take]] = True
        locked[edge_gt[take]] = True
        keep = ~(matched[live_p] | locked[live_g])
        live_id, live_p, live_g = live_id[keep], live_p[keep], live_g[keep]
    return matched.reshape(n_thr, n_pred)


def _interpolated_ap(tp: np.ndarray, label: np.ndarray, n_positive: np.ndarray) -> np.ndarray:
    """All-point interpolated AP from true positives [T, P] (sorted order) -> [T, K]."""
    n_thr, n_class = tp.shape[0], n_positive.size
    class_start = np.searchsorted(label, np.arange(n_class))  # [K]
    thr_idx, pos = np.nonzero(tp)  # [M], by threshold, then class, then score order
    cls = label[pos]
    segment = thr_idx * n_class + cls  # [M] non-decreasing: one segment per (threshold, class)
    seg_count = np.bincount(segment, minlength=n_thr * n_class)  # [T*K]
    seg_start = np.cumsum(seg_count) - seg_count
    tp_cum = (np.arange(segment.size) - seg_start[segment] + 1).astype(np.float64)  # [M]
    precision = tp_cum / (pos - class_start[cls] + 1)  # = tp / (tp + fp) at this prediction
    recall = tp_cum / n_positive[cls]

    # Precision made non-increasing from the right inside each segment, by pointer jumping: after
    # the step with shift s every entry holds the maximum of the 2s entries (of its segment) from it.
    # Exact (only max), O(M log M) time and O(M) memory whatever the class sizes.
    seg_end = (seg_start + seg_count)[segment]  # [M] exclusive end of each entry's segment
    mprec = precision.copy()
    idx = np.arange(segment.size)
    shift = 1
    while shift < seg_count.max(initial=0):
        ahead = idx + shift
        inside = ahead < seg_end
        mprec[inside] = np.maximum(mprec[inside], mprec[ahead[inside]])
        shift *= 2
    prev_recall = np.zeros_like(recall)  # recall before this true positive: 0 at a segment's first
    prev_recall[1:] = recall[:-1]
    prev_recall[tp_cum == 1] = 0.0
    terms = (recall - prev_recall) * mprec  # [M]

    # The official sum also holds the step to the padded recall 1 (times precision 0) when recall
    # stops short of 1: keep that 0 so each 1-D sum has the official length, hence its rounding.
    incomplete = seg_count < n_positive[np.tile(np.arange(n_class), n_thr)]  # [T*K]
    ap = np.empty(n_thr * n_class)
    for s in range(ap.size):
        part = terms[seg_start[s] : seg_start[s] + seg_count[s]]
        ap[s] = np.sum(np.append(part, 0.0)) if incomplete[s] else np.sum(part)
    return ap.reshape(n_thr, n_class)


def average_precision_per_class(gt: GroundTruth, pred: Predictions, thresholds: np.ndarray) -> np.ndarray:
    """AP (fraction, not percent) for every threshold and class: [T, K].

    A class without predictions (or without true positives) gets 0.
    """
    if gt.label.size == 0:
        raise ValueError("no ground-truth instances: AP is undefined")
    n_pred = pred.score.size
    order = _sort_by_class_then_score(pred.label, pred.score)
    label = pred.label[order]  # [P], non-decreasing
    pair_pred, pair_gt, pair_tiou = _pairs(
        gt, label, pred.video[order], pred.segment[order], thresholds.min()
    )
    eligible = pair_tiou[None, :] >= thresholds[:, None]  # [T, Q]
    tp = _match(pair_pred, pair_gt, eligible, n_pred, gt.label.size)  # [T, P]
    n_positive = np.bincount(gt.label, minlength=len(gt.classes)).astype(np.float64)  # [K]
    return _interpolated_ap(tp, label, n_positive)
