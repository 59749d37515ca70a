"""Temporal grouping on the synthetic suite: foreground/background of pasted clips, and scene cuts.

Shape letters: N clips, T frames, S model input side, Nt temporal positions, C encoder width.

One task, two dataset kinds:
- `msrvtt` (the synthetic MSR-VTT twin's test clips): cut-and-paste clips are built exactly as
  pre-training builds them (`core.data.cut_and_paste.cut_and_paste`, partners = the next clip of a
  seeded shuffle, spans from the same seeded generator) and the clip features z [Nt, C] are scored:
  `fg_bg_acc` without the mask (exact 2-means of the positions + the better group-to-label
  matching per clip), and as L_t sees it (`foreground_probability` with the mask's centres):
  `fg_bg_acc_centred` (p > 0.5 = foreground) and `fg_bg_soft_centred` (the mean probability of
  the right side). Rules and chance levels: `core.metrics.foreground`. The protocol's
  `pixel_baseline` is `fg_bg_acc` of pooled raw pixels (`core.eval.pixel_baseline`).
- `activitynet` (the untrimmed synthetic videos): `cut_f1`, see `core.eval.scene_cuts`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from core.data.feature_cache import cache_path, cached, weights_fingerprint
from core.eval.context import EvalContext
from core.eval.outcome import EvalOutcome
from core.eval.pixel_baseline import pixel_positions
from core.eval.synth_truth import part_root, read_clips, spread
from core.metrics import foreground

TASK = "temporal_grouping"
SPLIT = "test"
MAX_VIDEOS = 200  # clips pasted per dataset (the small suite's whole test split)
SEED = 0  # the shuffle that pairs clips and the paste spans


def paired_chunks(count: int, size: int) -> list[slice]:
    """Consecutive slices of about `size` (at least 2 each, so every clip has a partner)."""
    size = max(2, size)
    bounds = list(range(0, count, size)) + [count]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2:
        bounds.pop(-2)  # a lone last clip joins the chunk before it
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _pasted_features(ctx: EvalContext, dataset: Any, index: Any, samples: list) -> dict[str, np.ndarray]:
    from core.data.cut_and_paste import cut_and_paste

    vcfg = ctx.model.cfg.video
    key = dict(weights=weights_fingerprint(ctx.target.export_dir), annotations=index.annotation_key(), split=SPLIT,
               videos=[s.id for s in samples], frames=vcfg.num_frames, size=vcfg.image_size, seed=SEED,
               batch=ctx.options.batch_size, what="pasted clips")

    @torch.inference_mode()
    def compute() -> dict[str, np.ndarray]:
        frames, valid = read_clips(index, samples, vcfg.num_frames, vcfg.image_size, ctx.clip_cache())
        frames = frames[torch.from_numpy(valid)]  # [N, T, 3, S, S]: readable clips only
        if len(frames) < 2:
            raise RuntimeError(f"{dataset.name}: fewer than 2 readable {SPLIT} clips: nothing to paste")
        generator = torch.Generator().manual_seed(SEED)
        frames = frames[torch.randperm(len(frames), generator=generator)]
        clips, pixels, masks = [], [], []
        parts = paired_chunks(len(frames), ctx.options.batch_size)
        with ctx.progress(f"{TASK} {dataset.name}: pasted clips", len(frames)) as advance:
            for part in parts:
                pasted, mask = cut_and_paste(frames[part], vcfg.tubelet, generator)  # [B, T, 3, S, S], [B, Nt]
                out = ctx.model.encode_video(pasted.to(ctx.device), with_regions=False)
                clips.append(out.clip.float().cpu().numpy())  # [B, Nt, C]
                pixels.append(pixel_positions(pasted, vcfg.tubelet).numpy())  # [B, Nt, 3*G*G]
                masks.append(mask.numpy())
                advance(len(mask))
        return {"clip": np.concatenate(clips), "pixels": np.concatenate(pixels), "mask": np.concatenate(masks),
                "valid": valid}

    return cached(cache_path(ctx.feature_cache, **key), compute)


def evaluate_fg_bg(ctx: EvalContext, dataset: Any, index: Any, max_videos: int | None = MAX_VIDEOS) -> EvalOutcome:
    from core.losses.config import LossConfig
    from core.losses.temporal import foreground_probability

    part_root(dataset)  # synthetic data only: fail early on anything else
    samples = spread(index.split(SPLIT), max_videos)
    arrays = _pasted_features(ctx, dataset, index, samples)
    clip, mask = arrays["clip"], arrays["mask"]
    tau = LossConfig().tau_t
    probability = foreground_probability(torch.from_numpy(clip), torch.from_numpy(mask), tau).numpy()  # [N, Nt]
    vcfg = ctx.model.cfg.video
    valid = arrays["valid"]
    return EvalOutcome(
        split=SPLIT,
        metrics={"fg_bg_acc": foreground.clustered_accuracy(clip, mask), "fg_bg_acc_centred": foreground.thresholded_accuracy(probability, mask),
                 "fg_bg_soft_centred": foreground.soft_accuracy(probability, mask)},
        n=int(len(clip)),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1, "head": "none (clip features)",
                  "positions": int(mask.shape[1]), "clips": int(len(clip)), "coverage": float(valid.mean()),
                  "paste_seed": SEED, "tau_t": tau, "foreground_share": float(mask.mean()),
                  "clustering": "exact 2-means of L2-normalised z[t], best group-to-label matching per clip",
                  "pixel_baseline": foreground.clustered_accuracy(arrays["pixels"], mask), "max_videos": max_videos},
        chance={"fg_bg_acc": foreground.random_split_chance(mask), "fg_bg_acc_centred": foreground.constant_chance(mask),
                "fg_bg_soft_centred": 50.0},
    )


def evaluate_temporal_grouping(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    """`fg_bg_acc` on clip datasets (msrvtt), `cut_f1` on untrimmed ones (activitynet)."""
    if index.kind == "activitynet":
        from core.eval.scene_cuts import evaluate_cuts

        return evaluate_cuts(ctx, dataset, index)
    return evaluate_fg_bg(ctx, dataset, index)
