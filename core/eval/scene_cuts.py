"""Scene-cut detection on the synthetic ActivityNet twin's untrimmed videos (`cut_f1`).

Shape letters: W windows of a video, T frames per window, S model input side, C encoder width.

Each video is read as sliding windows of T frames (the model's clip length) every `stride` frames
(default T: back-to-back windows, the cheapest cover; a window's forward pass dominates the
cost) at the video's own frame rate (`LocalizationDataset`); a window's feature is its clip
features z averaged over time. Consecutive windows' cosine similarity dips at scene cuts: the
threshold that maximises the pooled F1 on the training split's videos is then applied unchanged
to the validation split, where predictions are matched to the ground-truth cuts
(`groundtruth/<stem>.npz`) within one stride. Rules: `core.metrics.scene_cuts`. The protocol's
`pixel_baseline` is the same protocol on pooled raw pixels (`core.eval.pixel_baseline`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from core.data.feature_cache import cache_path, cached, weights_fingerprint
from core.data.sharding import gather_lists, my_share
from core.eval.context import EvalContext
from core.eval.outcome import EvalOutcome
from core.eval.pixel_baseline import pixel_windows
from core.eval.synth_truth import chunks, part_root, spread, truth_fingerprint, video_stem
from core.metrics.scene_cuts import VideoCuts, choose_threshold, random_cut_chance, split_scores

FIT_SPLIT, SPLIT = "train", "val"
MAX_VIDEOS = 100  # scored videos (the small suite has 24 val videos)
FIT_VIDEOS = 24  # videos the threshold is fitted on (one scalar: a few dozen videos pin it down)


def _window_features(ctx: EvalContext, dataset: Any, index: Any, split: str, samples: list,
                     stride: int) -> dict[str, np.ndarray]:
    """`features` [sum W, C], `pixels` [sum W, 3*G*G], `starts` [sum W] (seconds), `counts` [V] windows
    per video, `valid` [V]."""
    from core.data.tasks.localization import LocalizationDataset

    vcfg = ctx.model.cfg.video
    key = dict(weights=weights_fingerprint(ctx.target.export_dir), annotations=index.annotation_key(),
               truth=truth_fingerprint(part_root(dataset)), split=split, videos=[s.id for s in samples],
               frames=vcfg.num_frames, size=vcfg.image_size, stride=stride, what="cut windows")

    @torch.inference_mode()
    def compute() -> dict[str, np.ndarray]:
        data = LocalizationDataset(index, split=split, window=vcfg.num_frames, stride=stride, size=vcfg.image_size)
        data.samples = samples  # the evenly spread subset, not the whole split
        per_video = []  # (features [W, C], pixels [W, 3*G*G], starts [W], valid) of this rank's videos
        with ctx.progress(f"cuts {dataset.name} {split}: videos", len(samples)) as advance:
            for i in my_share(range(len(data))):
                item = data[i]
                windows = item["frames"]  # [W, T, 3, S, S]
                pooled = [ctx.model.encode_video(windows[part].to(ctx.device), with_regions=False).clip.float().mean(1)
                          for part in chunks(len(windows), ctx.options.batch_size)]  # [B, C] each
                per_video.append((torch.cat(pooled).cpu().numpy() if pooled else np.zeros((0, vcfg.width), np.float32),
                                  pixel_windows(windows).numpy(), item["starts"].numpy().astype(np.float64),
                                  bool(item["valid"])))
                advance(1)
        features, pixels, starts, valid = zip(*gather_lists(per_video), strict=True)  # back in video order
        return {"features": np.concatenate(features).astype(np.float32), "pixels": np.concatenate(pixels),
                "starts": np.concatenate(starts), "counts": np.array([len(f) for f in features], dtype=np.int64),
                "valid": np.array(valid, dtype=bool)}

    return cached(cache_path(ctx.feature_cache, **key), compute)


def video_cuts(ctx: EvalContext, dataset: Any, index: Any, split: str, stride: int,
               max_videos: int | None, what: str = "features") -> tuple[list[VideoCuts], int]:
    """(readable videos' boundary scores and cuts, videos listed) of one split, from the model's
    window features or (`what="pixels"`) the pooled pixels."""
    from core.data.synth import load_ground_truth
    from core.metrics.scene_cuts import boundary_positions, consecutive_similarity

    root = part_root(dataset)
    samples = spread(index.split(split), max_videos)
    arrays = _window_features(ctx, dataset, index, split, samples, stride)
    offsets = np.concatenate([[0], np.cumsum(arrays["counts"])])
    window = ctx.model.cfg.video.num_frames
    videos = []
    for v, sample in enumerate(samples):
        if not arrays["valid"][v]:
            continue
        truth = load_ground_truth(root, video_stem(sample))
        rows = slice(offsets[v], offsets[v + 1])
        start_frames = np.round(arrays["starts"][rows] * float(truth["fps"])).astype(np.int64)  # [W]
        videos.append(VideoCuts(positions=boundary_positions(start_frames, window),
                                similarity=consecutive_similarity(arrays[what][rows]),
                                truth=np.asarray(truth["cuts"], dtype=np.float64)))
    return videos, len(samples)


def evaluate_cuts(ctx: EvalContext, dataset: Any, index: Any, stride: int | None = None,
                  max_videos: int | None = MAX_VIDEOS, fit_videos: int | None = FIT_VIDEOS) -> EvalOutcome:
    vcfg = ctx.model.cfg.video
    stride = stride or vcfg.num_frames
    fit, _ = video_cuts(ctx, dataset, index, FIT_SPLIT, stride, fit_videos)
    scored, listed = video_cuts(ctx, dataset, index, SPLIT, stride, max_videos)
    if not fit or not scored:
        raise RuntimeError(f"{dataset.name}: needs readable {FIT_SPLIT} and {SPLIT} videos")
    tolerance = float(stride)
    threshold, fit_f1 = choose_threshold(fit, tolerance)
    metrics = split_scores(scored, threshold, tolerance)
    pixel_fit, _ = video_cuts(ctx, dataset, index, FIT_SPLIT, stride, fit_videos, what="pixels")
    pixel_scored, _ = video_cuts(ctx, dataset, index, SPLIT, stride, max_videos, what="pixels")
    pixel_f1 = split_scores(pixel_scored, choose_threshold(pixel_fit, tolerance)[0], tolerance)["cut_f1"]
    return EvalOutcome(
        split=SPLIT, metrics=metrics, n=int(sum(len(v.truth) for v in scored)),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1, "head": "threshold on similarity",
                  "window": vcfg.num_frames, "stride": stride, "tolerance_frames": tolerance,
                  "threshold": threshold if math.isfinite(threshold) else None, "threshold_split": FIT_SPLIT,
                  "fit_f1": fit_f1, "fit_videos": len(fit), "videos": len(scored),
                  "coverage": len(scored) / listed if listed else 0.0, "pixel_baseline": pixel_f1,
                  "max_videos": max_videos},
        chance={"cut_f1": random_cut_chance(scored, tolerance)},
    )
