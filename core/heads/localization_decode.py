"""From the localizer's outputs to detections: decode every point, then per-class (soft-)NMS.

Shape letters: P pyramid points, K classes, N candidates, T snippets.

Snippet coordinates run from 0 to T over the whole video (snippet i covers [i, i+1)); a video of
`duration` seconds maps them to seconds by x * duration / T.

In `agnostic` mode the decoded detections are class-agnostic proposals; `fuse_video_classes`
labels them with the video's top-k classes, score sqrt(proposal x class probability), as
ActionFormer's ActivityNet evaluation fuses its external classifier's scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from core.heads.localization import LocalizerConfig
from core.metrics.segments import nms, soft_nms


def decode_video(logits: Tensor, distances: Tensor, points: dict[str, Tensor], duration: float,
                 cfg: LocalizerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One video: logits [P, K], distances [P, 2] -> (segments [N, 2] s, scores [N], labels [N]), best first."""
    K = logits.shape[1]
    probs = torch.sigmoid(logits.float()).flatten()  # [P*K]
    keep = torch.nonzero(probs > cfg.pre_nms_threshold).squeeze(1)
    if keep.numel() > cfg.pre_nms_topk:
        keep = keep[torch.topk(probs[keep], cfg.pre_nms_topk).indices]
    point, label = keep // K, keep % K
    x, stride = points["x"][point], points["stride"][point]
    start = (x - distances[point, 0].float() * stride).clamp(0, cfg.snippets)
    end = (x + distances[point, 1].float() * stride).clamp(0, cfg.snippets)
    scale = duration / cfg.snippets
    segments = (torch.stack([start, end], 1) * scale).double().numpy()  # [N, 2] seconds
    scores = probs[keep].double().numpy()
    labels = label.numpy()
    useful = segments[:, 1] - segments[:, 0] > 1e-3 * max(scale, 1e-9)  # drop zero-length segments
    return suppress(segments[useful], scores[useful], labels[useful], cfg)


def suppress(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray,
             cfg: LocalizerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class soft-NMS (or hard NMS), then the `max_detections` best over all classes."""
    out_seg, out_score, out_label = [], [], []
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        if cfg.nms == "soft":
            kept, decayed = soft_nms(segments[idx], scores[idx], sigma=cfg.nms_sigma, min_score=cfg.pre_nms_threshold,
                                     max_keep=cfg.max_detections)
        else:
            kept = nms(segments[idx], scores[idx], cfg.nms_threshold)[: cfg.max_detections]
            decayed = scores[idx][kept]
        out_seg.append(segments[idx][kept])
        out_score.append(decayed)
        out_label.append(np.full(len(kept), k))
    if not out_seg:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=np.int64)
    seg, score, label = np.concatenate(out_seg), np.concatenate(out_score), np.concatenate(out_label)
    order = np.argsort(-score, kind="stable")[: cfg.max_detections]
    return seg[order], score[order], label[order].astype(np.int64)


def fuse_video_classes(proposals: tuple[np.ndarray, np.ndarray, np.ndarray], class_probs: np.ndarray,
                       topk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class-agnostic proposals (segments [N, 2], scores [N], labels ignored) and video-level class
    probabilities [K] -> detections for the top-k classes: each proposal once per class, score
    sqrt(proposal score x class probability), best first."""
    segments, scores, _ = proposals
    top = np.argsort(-class_probs, kind="stable")[:topk]  # [k]
    fused = np.sqrt(class_probs[top][:, None] * scores[None, :]).reshape(-1)  # [k*N]
    labels = np.repeat(top, len(scores))
    tiled = np.tile(segments, (len(top), 1))  # [k*N, 2]
    order = np.argsort(-fused, kind="stable")
    return tiled[order], fused[order], labels[order].astype(np.int64)


def submission(detections: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], classes: list[str]) -> dict[str, Any]:
    """ActivityNet's submission format from {video_id: (segments [N, 2], scores [N], labels [N])}."""
    results = {
        vid: [{"label": classes[int(k)], "score": round(float(s), 6), "segment": [round(float(a), 3), round(float(b), 3)]}
              for (a, b), s, k in zip(seg, score, label, strict=True)]
        for vid, (seg, score, label) in detections.items()
    }
    return {"version": "VERSION 1.3", "results": results, "external_data": {"used": False, "details": ""}}
