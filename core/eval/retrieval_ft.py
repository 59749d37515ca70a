"""Fine-tuned text-video retrieval (MSR-VTT 1k-A and its synthetic twin): cosine of u and w after fine-tuning.

Shape letters: V videos, Nc captions.

The towers of a `finetune_retrieval` head run (reused or trained by `core.eval.heads`) are exported
as a plain S-ViLM, so the zero-shot evaluator's similarity code scores them unchanged; their
features are cached under the head run's weights.
"""

from __future__ import annotations

import time
from typing import Any

from core.eval.context import EvalContext
from core.eval.heads import head_export, head_protocol, head_run_for
from core.eval.outcome import EvalOutcome

RECIPE = "finetune_retrieval"


def evaluate_retrieval_ft(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    from core.eval.retrieval_zs import SPLIT, flatten, retrieval_chance, similarity
    from core.eval.target import EvalTarget
    from core.metrics.retrieval import retrieval_metrics, retrieval_ranks

    run, timing = head_run_for(ctx, RECIPE, dataset.name)
    t_eval = time.perf_counter()
    export_dir = head_export(ctx.registry, run)
    checkpoint = ctx.registry.list_checkpoints(run.id, kind="export", complete_only=True)[-1]
    tuned = EvalContext(ctx.settings, ctx.registry, EvalTarget(run=run, checkpoint=checkpoint, export_dir=export_dir),
                        ctx.options)
    sim, text_video, valid = similarity(tuned, dataset, index)  # [Nc, V]
    scores = flatten(retrieval_metrics(sim, text_video))
    t2v, v2t = retrieval_ranks(sim, text_video)
    vcfg = tuned.model.cfg.video
    return EvalOutcome(
        split=SPLIT, metrics=scores, n=int(sim.shape[0]),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1,
                  "head": "both towers fine-tuned (contrastive, train split)", **head_protocol(run),
                  "coverage": float(valid.mean()), "videos": int(sim.shape[1]), "texts": int(sim.shape[0])},
        chance=retrieval_chance(sim.shape[1], sim.shape[0]),
        details={"ranks_t2v": t2v.tolist(), "ranks_v2t": v2t.tolist(),
                 "timing": {**timing, "eval_wall_s": round(time.perf_counter() - t_eval, 1)}},
    )
