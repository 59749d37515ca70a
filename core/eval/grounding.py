"""Spatial grounding quality on the synthetic MSR-VTT twin: group assignments vs object masks.

Shape letters: V videos, T frames, S model input side, Nt temporal positions, Ns spatial
positions, L = Nt * Ns tokens, M groups, D joint embedding dim, P prompts.

Per test video (at most `max_videos`, evenly spread over the split):
- the last grouping block's eval-mode assignment (argmax over groups) gives each token a group;
  the object label maps of the same frames, transformed like the frames and put on the token grid
  by plurality vote (`core.eval.token_labels`), give each token a class;
- `group_object_iou`: each object's best IoU over the groups, averaged over (video, object)
  pairs; `group_iou_with_bg`: the same over every class including the background, per video;
- `noun_region_acc`: the prompt of each object's phrase (objects.json, through the training
  prompt template) attends over the regions as L_g does, a = softmax_m(<n, r_m> / tau_g); the
  most attended group is correct when its best-matching object is the named one.
Rules and chance levels: `core.metrics.grounding`. An assignment-map sample for the report's
plots is written to `<eval dir>/grounding_<dataset>_maps.npz`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from core.data.feature_cache import cache_path, cached, weights_fingerprint
from core.data.noun_phrases import make_prompt
from core.data.sharding import gather_lists, gather_rows, my_share
from core.eval.context import EvalContext
from core.eval.features import encode_texts
from core.eval.outcome import EvalOutcome
from core.eval.synth_truth import (
    chunks,
    clip_frame_indices,
    part_root,
    read_clips,
    spread,
    truth_fingerprint,
    video_stem,
)
from core.eval.token_labels import token_labels, tokens_to_pixels, transform_labels
from core.metrics.grounding import CHANCE_SEEDS, VideoGrounding, score_video, summarise

TASK = "grounding"
SPLIT = "test"
MAX_VIDEOS = 200  # videos scored per dataset (the small suite's whole test split)
MAP_VIDEOS = 6  # videos in the assignment-map sample


def phrase_prompts(root: Any, samples: list) -> list[str]:
    """Distinct prompts ("A photo of a big red square.") of the samples' objects, in first-use order."""
    from core.data.synth import load_ground_truth

    prompts: dict[str, None] = {}
    for sample in samples:
        for obj in load_ground_truth(root, video_stem(sample))["objects"]:
            prompts.setdefault(make_prompt(obj["phrase"]), None)
    return list(prompts)


def _features(ctx: EvalContext, dataset: Any, index: Any, samples: list, prompts: list[str]) -> dict[str, np.ndarray]:
    from core.data.tokens import TokenTable, pad_ids

    model = ctx.model
    vcfg, tcfg = model.cfg.video, model.cfg.text
    key = dict(weights=weights_fingerprint(ctx.target.export_dir), annotations=index.annotation_key(),
               truth=truth_fingerprint(part_root(dataset)), split=SPLIT, videos=[s.id for s in samples],
               frames=vcfg.num_frames, size=vcfg.image_size, maps=MAP_VIDEOS, what=TASK)

    @torch.inference_mode()
    def compute() -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        rows: list[int] = []
        sample_frames = []  # (row, frames [T, S, S, 3]) of the first readable videos, for the maps
        with ctx.progress(f"{TASK} {dataset.name}: videos", len(samples)) as advance:
            for part in my_share(chunks(len(samples), ctx.options.batch_size)):  # this rank's batches
                frames, ok = read_clips(index, samples[part], vcfg.num_frames, vcfg.image_size, ctx.clip_cache())
                out = ctx.model.encode_video(frames.to(ctx.device), with_regions=True)
                assign = out.assignment.argmax(1).cpu().numpy()  # [B, L]: each token's group
                if not arrays:
                    arrays = {"groups": np.zeros((len(samples), assign.shape[1]), dtype=np.int16),
                              "regions": np.zeros((len(samples), *out.regions.shape[1:]), dtype=np.float32),
                              "valid": np.zeros(len(samples), dtype=bool)}
                arrays["groups"][part], arrays["valid"][part] = assign, ok
                arrays["regions"][part] = out.regions.float().cpu().numpy()
                rows += range(part.start, part.stop)
                for row in np.flatnonzero(ok):  # the first readable ones of each rank hold the first overall
                    if len(sample_frames) < MAP_VIDEOS:
                        sample_frames.append((part.start + row, frames[row].permute(0, 2, 3, 1).numpy()))
                advance(len(ok))
        arrays = gather_rows(arrays, np.asarray(rows, dtype=np.int64), len(samples))
        sample_frames = sorted(gather_lists(sample_frames), key=lambda pair: pair[0])[:MAP_VIDEOS]
        table = TokenTable(ctx.tokenizer, tcfg.prompt_len)
        ids, mask = pad_ids([table.ids(p) for p in prompts], table.pad_id, table.max_length)
        nouns = (encode_texts(model, ids, mask, ctx.device) if prompts
                 else np.zeros((0, arrays["regions"].shape[-1]), np.float32))
        return {**arrays, "nouns": nouns,
                "map_rows": np.array([r for r, _ in sample_frames], dtype=np.int64),
                "map_frames": np.stack([f for _, f in sample_frames]) if sample_frames
                else np.zeros((0, vcfg.num_frames, vcfg.image_size, vcfg.image_size, 3), np.uint8)}

    return cached(cache_path(ctx.feature_cache, **key), compute)


def chosen_groups(regions: np.ndarray, nouns: np.ndarray, tau: float) -> np.ndarray:
    """regions R [M, D], nouns n [P, D] -> [P] the group each noun attends to most under L_g's softmax."""
    from core.losses.grounding import noun_region_similarity

    sim = noun_region_similarity(torch.from_numpy(regions)[None], torch.from_numpy(nouns)[None])[0, 0]  # [P, M]
    attention = (sim / tau).softmax(-1)  # [P, M]: a_{k,m}
    return attention.argmax(-1).numpy()


def write_maps(path: Any, groups: np.ndarray, frames: np.ndarray, grid: tuple[int, int], patch: int,
               num_groups: int) -> None:
    """groups [V, L], frames uint8 [V, T, S, S, 3] -> npz with `maps` uint8 [V, Nt, S, S], `frames`,
    `num_groups` (the format `core.report.plots.assignment` reads), written atomically."""
    V = len(groups)
    maps = np.stack([tokens_to_pixels(g.reshape(-1, grid[0] * grid[1]), grid, patch) for g in groups]) if V \
        else np.zeros((0, 0, 0, 0))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, maps=maps.astype(np.uint8), frames=frames.astype(np.uint8),
                        num_groups=np.int64(num_groups))
    tmp.replace(path)


def evaluate_grounding(ctx: EvalContext, dataset: Any, index: Any, max_videos: int | None = MAX_VIDEOS) -> EvalOutcome:
    from core.data.synth import load_ground_truth
    from core.losses.config import LossConfig

    root = part_root(dataset)
    vcfg = ctx.model.cfg.video
    samples = spread(index.split(SPLIT), max_videos)
    if not samples:
        raise RuntimeError(f"{dataset.name} has no {SPLIT} videos")
    prompts = phrase_prompts(root, samples)
    arrays = _features(ctx, dataset, index, samples, prompts)
    prompt_row = {p: i for i, p in enumerate(prompts)}
    tau = LossConfig().tau_g
    grid = (vcfg.image_size // vcfg.patch,) * 2
    scores: list[VideoGrounding] = []
    objects_total = 0
    for row in np.flatnonzero(arrays["valid"]):
        sample = samples[row]
        truth = load_ground_truth(root, video_stem(sample))
        frames = clip_frame_indices(truth["n_frames"] or len(truth["labels"]), truth["fps"], sample, vcfg.num_frames)
        labels = token_labels(transform_labels(truth["labels"][frames], vcfg.image_size), vcfg.tubelet, vcfg.patch)
        objects = [int(o["index"]) for o in truth["objects"]]
        objects_total += len(objects)
        phrases = {int(o["index"]): prompt_row[make_prompt(o["phrase"])] for o in truth["objects"]}
        picked = chosen_groups(arrays["regions"][row], arrays["nouns"][list(phrases.values())], tau) \
            if phrases else np.zeros(0, np.int64)
        chosen = dict(zip(phrases, picked.tolist(), strict=True))
        scores.append(score_video(labels.reshape(-1), arrays["groups"][row].astype(np.int64), objects,
                                  vcfg.num_groups, chosen))
    metrics, chance, extras = summarise(scores)
    if not extras["pairs"]:
        raise RuntimeError(f"{dataset.name}: no object owns a token at {vcfg.image_size} px with {vcfg.patch} px "
                           "patches: nothing to score")

    ctx.target.eval_dir.mkdir(parents=True, exist_ok=True)
    maps_name = f"{TASK}_{dataset.name}_maps.npz"
    map_rows = arrays["map_rows"]
    write_maps(ctx.target.eval_dir / maps_name, arrays["groups"][map_rows], arrays["map_frames"], grid,
               vcfg.patch, vcfg.num_groups)
    valid = arrays["valid"]
    return EvalOutcome(
        split=SPLIT, metrics=metrics, n=int(extras["pairs"]),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1, "head": "none (group assignment)",
                  "videos": int(valid.sum()), "coverage": float(valid.mean()) if len(valid) else 0.0,
                  "objects_scored": int(extras["pairs"]), "objects_total": objects_total,
                  "token_rule": "plurality vote over tubelet x patch x patch pixels, background included",
                  "tau_g": tau, "num_groups": vcfg.num_groups, "chance_seeds": len(CHANCE_SEEDS),
                  "noun_region_acc_one_of_objects": extras.get("noun_region_acc_one_of_objects"),
                  "max_videos": max_videos},
        chance=chance,
        details={"assignment_maps": maps_name},
    )
