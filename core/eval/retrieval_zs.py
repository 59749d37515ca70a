"""Zero-shot text-video retrieval (MSR-VTT 1k-A and its synthetic twin): cosine of u and w.

Shape letters: V videos, Nc captions, D joint embedding dim.

Videos that are missing or unreadable are left out together with their captions; the share
that was scored is the protocol's `coverage`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.feature_cache import cache_path, cached, weights_fingerprint
from core.eval.context import EvalContext
from core.eval.features import encode_texts, encode_videos, eval_loader
from core.eval.outcome import EvalOutcome

SPLIT = "test"
RANK_KEYS = ("R@1", "R@5", "R@10", "MdR", "MnR")


def retrieval_chance(num_videos: int, num_texts: int) -> dict[str, float]:
    """What a model that ranks at random scores on average (a uniform rank over the candidates)."""
    chance = {}
    for prefix, candidates in (("t2v", num_videos), ("v2t", num_texts)):
        for k in (1, 5, 10):
            chance[f"{prefix}_R@{k}"] = 100.0 * min(k, candidates) / candidates
        chance[f"{prefix}_MdR"] = chance[f"{prefix}_MnR"] = (candidates + 1) / 2
    return chance


def flatten(scores: dict[str, dict[str, float]]) -> dict[str, float]:
    return {f"{direction}_{key}": value for direction, values in scores.items() for key, value in values.items()}


def similarity(ctx: EvalContext, dataset: Any, index: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sim [Nc, V] over readable videos, caption -> video [Nc], valid [V_all]) for the test split."""
    from core.data.tasks.retrieval import RetrievalDataset, collate_retrieval

    vcfg, tcfg = ctx.model.cfg.video, ctx.model.cfg.text
    data = RetrievalDataset(index, ctx.tokenizer, split=SPLIT, num_frames=vcfg.num_frames, size=vcfg.image_size,
                            max_caption_len=tcfg.caption_len, clip_cache=ctx.clip_cache())
    key = dict(weights=weights_fingerprint(ctx.target.export_dir), annotations=index.annotation_key(), split=SPLIT,
               frames=vcfg.num_frames, size=vcfg.image_size, views=1, what="retrieval")

    def compute() -> dict[str, np.ndarray]:
        loader = eval_loader(data, ctx.options.batch_size, ctx.options.workers, collate_retrieval)
        with ctx.progress(f"retrieval {dataset.name}: videos", len(data)) as advance:
            videos = encode_videos(ctx.model, loader, ctx.device, len(data), advance)
        ids, mask = data.caption_tokens()
        return {"video": videos["embedding"][:, 0], "valid": videos["valid"],
                "text": encode_texts(ctx.model, ids, mask, ctx.device), "caption_video": data.caption_video.numpy()}

    arrays = cached(cache_path(ctx.feature_cache, **key), compute)
    valid = arrays["valid"]
    keep_videos = np.flatnonzero(valid)
    if len(keep_videos) == 0:
        raise RuntimeError(f"no readable video in {dataset.name} {SPLIT}")
    new_position = -np.ones(len(valid), dtype=np.int64)
    new_position[keep_videos] = np.arange(len(keep_videos))
    keep_texts = valid[arrays["caption_video"]]
    text_video = new_position[arrays["caption_video"][keep_texts]]
    sim = arrays["text"][keep_texts] @ arrays["video"][keep_videos].T  # [Nc, V] cosine (unit vectors)
    return sim, text_video, valid


def evaluate_retrieval_zs(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    from core.metrics.retrieval import retrieval_metrics, retrieval_ranks

    sim, text_video, valid = similarity(ctx, dataset, index)
    scores = flatten(retrieval_metrics(sim, text_video))
    t2v, v2t = retrieval_ranks(sim, text_video)
    vcfg = ctx.model.cfg.video
    return EvalOutcome(
        split=SPLIT, metrics=scores, n=int(sim.shape[0]),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1, "head": "zero-shot",
                  "coverage": float(valid.mean()), "videos": int(sim.shape[1]), "texts": int(sim.shape[0])},
        chance=retrieval_chance(sim.shape[1], sim.shape[0]),
        details={"ranks_t2v": t2v.tolist(), "ranks_v2t": v2t.tolist()},
    )
