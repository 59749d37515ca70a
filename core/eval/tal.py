"""Temporal action localization (ActivityNet v1.3 validation and its synthetic twin): mAP of a trained head.

Shape letters: N validation videos, T snippets, C feature width.

The `train_localizer` head run (reused or trained by `core.eval.heads`) scores the frozen tower's
snippet features of each validation video (cached like the training split's); its detections are
written in ActivityNet's submission format to `<run dir>/eval/tal_<dataset>_predictions.json`
and scored against the dataset's own annotation file with `core.metrics.tal_map` (mAP at tIoU
0.50:0.05:0.95 and their average). Missing videos get no detections (their actions count as
missed; `coverage` says how many). `details.pr` holds precision-recall curves pooled over classes
(see `core.metrics.tal_curves`), `chance` the mAP of random detections.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.eval.context import EvalContext
from core.eval.heads import head_export, head_protocol, head_run_for
from core.eval.outcome import EvalOutcome

if TYPE_CHECKING:
    from core.heads.snippet_features import SnippetFeatureConfig
    from core.registry import Run

RECIPE = "train_localizer"
SPLIT, SUBSET = "val", "validation"
SNIPPET_WORDS = {"mean": "spatial-mean", "motion": "appearance + change"}  # how footnotes name a descriptor


def mode_words(head: dict[str, Any]) -> str:
    """How footnotes name the localizer's mode (heads from before `mode` existed were multi-class)."""
    if head.get("mode") == "agnostic":
        return (f"two-stage: class-agnostic proposals x video-level classifier (top-{head.get('video_topk', 2)}, "
                "sqrt fusion)")
    return "one-stage multi-class"


def feature_config(run: Run) -> SnippetFeatureConfig:
    """The `SnippetFeatureConfig` a head run was trained with."""
    from core.config import validate_config
    from core.heads.snippet_features import SnippetFeatureConfig

    # Head runs from before `descriptor` existed were trained on spatial means: keep feeding them those.
    return validate_config(SnippetFeatureConfig, {"descriptor": "mean", **run.config["features"]}, "features")


def snippet_features(ctx: EvalContext, run: Run, index: Any, split: str) -> dict[str, np.ndarray]:
    """The frozen tower's snippet features of `split`, as the head run's recipe extracted them (cached)."""
    from core.data.feature_cache import cache_path, cached, weights_fingerprint
    from core.heads.snippet_features import extract, feature_key
    from core.train.export import load_exported

    init = Path(run.config["init"]["checkpoint"])
    model = ctx.model if init.resolve() == Path(ctx.target.export_dir).resolve() else load_exported(init, ctx.device)
    cfg = feature_config(run)
    snippets = int(run.config["head"]["snippets"])
    vcfg = model.cfg.video
    key = feature_key(weights_fingerprint(init), index, split, cfg, snippets, vcfg.num_frames, vcfg.image_size)

    def compute() -> dict[str, np.ndarray]:
        with ctx.progress(f"tal {index.kind} {split}: videos", len(index.split(split))) as advance:
            return extract(model, index, split, cfg, snippets, ctx.device, advance, workers=ctx.options.workers)

    return cached(cache_path(ctx.feature_cache, **key), compute)


@torch.inference_mode()
def detect(module: Any, arrays: dict[str, np.ndarray], samples: list[Any], device: torch.device) -> dict[str, Any]:
    """{video_id: (segments [n, 2] s, scores [n], labels [n])} for every readable video."""
    from core.heads.localization import point_layout
    from core.heads.localization_decode import decode_video, fuse_video_classes

    head = module.head
    points = point_layout(head.cfg)
    detections = {}
    for i, sample in enumerate(samples):
        if not arrays["valid"][i]:
            continue
        features = torch.from_numpy(arrays["features"][i][None]).to(device)  # [1, T, C]
        logits, distances = head(features)  # [1, P, K'], [1, P, 2]
        found = decode_video(logits[0].cpu(), distances[0].cpu(), points, float(arrays["duration"][i]), head.cfg)
        if head.cfg.mode == "agnostic":  # proposals named by the video-level classifier
            probs = torch.softmax(head.classify_video(features)[0].float(), -1).cpu().double().numpy()  # [K]
            found = fuse_video_classes(found, probs, head.cfg.video_topk)
        detections[sample.video_id] = found
    return detections


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
    return path


def evaluate_tal(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    from core.heads.export import load_task_model
    from core.heads.localization_decode import submission
    from core.metrics.activitynet import parse_ground_truth, parse_predictions
    from core.metrics.tal import DEFAULT_THRESHOLDS, tal_map
    from core.metrics.tal_curves import chance_map, pooled_pr
    from core.train.steps import torch_threads

    run, timing = head_run_for(ctx, RECIPE, dataset.name)
    t_eval = time.perf_counter()
    module, config = load_task_model(head_export(ctx.registry, run), ctx.device)
    samples = index.split(SPLIT)
    arrays = snippet_features(ctx, run, index, SPLIT)
    with torch_threads(1):  # per-video forward passes of a small head: one thread beats a pool's barriers
        detections = detect(module, arrays, samples, ctx.device)
    predicted = submission(detections, config["classes"])
    path = write_json(ctx.target.eval_dir / f"tal_{dataset.name}_predictions.json", predicted)

    ground_truth = json.loads(Path(index.annotation_files[0]).read_text())
    scores = tal_map(ground_truth, predicted, SUBSET)
    metrics = {f"mAP@{k}": v for k, v in scores["mAP"].items()}
    metrics["avg_mAP"] = scores["average_mAP"]
    gt = parse_ground_truth(ground_truth, SUBSET)
    pr = pooled_pr(gt, parse_predictions(predicted, gt), DEFAULT_THRESHOLDS)
    durations = {s.video_id: float(arrays["duration"][i]) for i, s in enumerate(samples) if arrays["duration"][i] > 0}
    counts = {vid: len(entries) for vid, entries in predicted["results"].items()}
    chance = chance_map(ground_truth, SUBSET, durations, counts, config["classes"])
    head_cfg, features = config["head"], feature_config(run)
    return EvalOutcome(
        split=SPLIT, metrics=metrics, n=len(samples),
        protocol={"frames": features.window or ctx.model.cfg.video.num_frames, "views": 1,
                  "size": ctx.model.cfg.video.image_size,
                  "head": f"ActionFormer-style anchor-free head ({head_cfg['levels']} levels) on "
                          f"{SNIPPET_WORDS[features.descriptor]} snippet features, {head_cfg['nms']}-NMS, "
                          f"{mode_words(head_cfg)}",
                  "tal_mode": head_cfg.get("mode", "multiclass"),
                  **head_protocol(run), "snippets": head_cfg["snippets"], "window_stride": features.stride,
                  "descriptor": features.descriptor, "fps": features.fps, "coverage": float(arrays["valid"].mean()) if len(samples) else 0.0,
                  "detections": sum(counts.values())},
        chance=chance,
        details={"pr": pr, "pr_pooling": "pooled over classes", "predictions": str(path),
                 "per_class": {name: v["average_AP"] for name, v in scores["per_class"].items()},
                 "timing": {**timing, "eval_wall_s": round(time.perf_counter() - t_eval, 1)}},
    )
