"""Text-video retrieval: R@1/5/10, median rank and mean rank in both directions.

Shapes: T texts (queries of text->video), V videos; `sim` is [T, V], higher is more similar.

Rank rule (DATA_FORMATS.md, "Metrics"): a query's rank is the number of candidates scoring
greater than or equal to its ground truth, the ground truth itself included. Ties are therefore
broken pessimistically: a model that scores everything alike gets rank = #candidates, not 1. On
tie-free input this is the usual 1 + (number scoring higher).

Ground truth:
- default: the diagonal (`sim` must be square), as for MSR-VTT 1k-A;
- `text_to_video` [T] (several captions per video): text i's video is `text_to_video[i]`;
  video->text ranks a video by its best caption, i.e. the caption with the highest score for
  it, among all T texts (captions of the same video included, so equal-scoring siblings count).

NaN similarities raise ValueError: NaN compares false with everything, which would silently
improve ranks. Infinite values are ordinary scores.

Speed: ranks are counts, not sorts. Each block of rows is compared once against the per-row
ground-truth scores (text->video) and once against the per-column best-caption scores
(video->text), so a 10,000 x 10,000 float32 matrix costs two passes of compares, O(T*V) with
no argsort. Comparisons happen in the input's own float precision: casting float64 to float32
could merge distinct scores into ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.metrics.arrays import check_indices, check_numeric, to_numpy

RECALL_KS = (1, 5, 10)
# Rows per block: ~4M compares, so the boolean temporaries stay in cache-sized pieces.
_BLOCK_ELEMENTS = 1 << 22


def rank_metrics(ranks: np.ndarray) -> dict[str, float]:
    """R@K (percent of queries with rank <= K), MdR and MnR (ranks, 1 = best) from 1-based ranks [Q]."""
    ranks = np.asarray(ranks)
    if ranks.ndim != 1 or ranks.size == 0:
        raise ValueError("ranks must be a non-empty 1-D array")
    out = {f"R@{k}": float(100.0 * np.mean(ranks <= k)) for k in RECALL_KS}
    out["MdR"] = float(np.median(ranks))
    out["MnR"] = float(np.mean(ranks))
    return out


def retrieval_ranks(sim: Any, text_to_video: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """1-based pessimistic ranks: (text->video [T], video->text [V]); see the module docstring."""
    sim = to_numpy(sim)  # [T, V]
    check_numeric(sim, "sim")
    if sim.ndim != 2 or sim.shape[0] == 0 or sim.shape[1] == 0:
        raise ValueError(f"sim must be a non-empty 2-D texts x videos matrix, got shape {sim.shape}")
    n_text, n_video = sim.shape
    if _has_nan(sim):
        raise ValueError("sim contains NaN")

    if text_to_video is None:
        if n_text != n_video:
            raise ValueError(
                f"ground truth on the diagonal needs a square matrix, got {n_text} x {n_video}; "
                "pass text_to_video for several captions per video"
            )
        gt_video = np.arange(n_text)
    else:
        gt_video = _check_text_to_video(to_numpy(text_to_video), n_text, n_video)

    gt_score = sim[np.arange(n_text), gt_video]  # [T]
    if text_to_video is None:
        best_caption = gt_score  # [V]: one caption per video
    else:
        # Every video has a caption, so the initial value (<= every caption's score) is overwritten.
        best_caption = np.full(n_video, gt_score.min(), dtype=sim.dtype)
        np.maximum.at(best_caption, gt_video, gt_score)

    t2v = np.empty(n_text, dtype=np.int64)
    v2t = np.zeros(n_video, dtype=np.int64)
    block = max(1, _BLOCK_ELEMENTS // n_video)
    for start in range(0, n_text, block):
        rows = sim[start : start + block]  # [b, V]
        t2v[start : start + block] = np.count_nonzero(rows >= gt_score[start : start + block, None], axis=1)
        v2t += np.count_nonzero(rows >= best_caption[None, :], axis=0)
    return t2v, v2t


def retrieval_metrics(sim: Any, text_to_video: Any = None) -> dict[str, dict[str, float]]:
    """Retrieval metrics from a [T, V] similarity matrix.

    Returns `{"t2v": {"R@1", "R@5", "R@10", "MdR", "MnR"}, "v2t": {...}}`; recalls in percent,
    ranks as ranks. `text_to_video` is an int array [T] mapping each text to its video; without
    it the ground truth is the diagonal. Raises ValueError on a malformed input.
    """
    t2v, v2t = retrieval_ranks(sim, text_to_video)
    return {"t2v": rank_metrics(t2v), "v2t": rank_metrics(v2t)}


def _check_text_to_video(gt_video: np.ndarray, n_text: int, n_video: int) -> np.ndarray:
    check_indices(gt_video, "text_to_video", n_text, n_video)
    missing = np.flatnonzero(np.bincount(gt_video, minlength=n_video) == 0)
    if missing.size:
        raise ValueError(
            f"{missing.size} videos have no caption (first: {int(missing[0])}); v2t is undefined"
        )
    return gt_video.astype(np.intp, copy=False)


def _has_nan(x: np.ndarray) -> bool:
    if x.dtype.kind != "f":
        return False
    # A single reduction is cheaper than a full isnan pass; it is NaN whenever an entry is NaN
    # (and, rarely, when +inf and -inf or overflow meet), so only then look at every entry.
    return bool(np.isnan(np.add.reduce(x, axis=None))) and bool(np.isnan(x).any())
