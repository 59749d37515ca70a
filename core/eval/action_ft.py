"""Action recognition, fully fine-tuned (UCF101, HMDB51 split 1 and their synthetic twins), multi-view test.

Shape letters: N test videos, V views (temporal views x crops), K classes.

The video tower and classifier of a `finetune_action` head run (reused or trained by
`core.eval.heads`) score V views of each test video; the logits are averaged over the views.
Unreadable videos are left out (`coverage`), as the linear probe does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.eval.context import EvalContext
from core.eval.features import eval_loader, outputs_by_index
from core.eval.heads import head_export, head_protocol, head_run_for
from core.eval.outcome import EvalOutcome

if TYPE_CHECKING:
    from core.heads.action import ActionModel

RECIPE = "finetune_action"


def predict(module: ActionModel, loader: Iterable[dict[str, Any]], device: torch.device, count: int,
            progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(view-averaged logits [N, K], labels [N] (-1: none), valid [N])."""
    out = outputs_by_index(loader, count, lambda batch: {
        "logits": module.logits(batch["frames"].to(device)).float().cpu().numpy(),  # [B, K]
        "labels": batch["label"].numpy(),  # [B]
    }, progress)
    return out["logits"], out["labels"], out["valid"]


def evaluate_action_ft(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    from core.data.tasks.action import ActionDataset, collate_action
    from core.heads.export import load_task_model
    from core.metrics.action import action_metrics

    opts = ctx.options
    run, timing = head_run_for(ctx, RECIPE, dataset.name)
    t_eval = time.perf_counter()
    module, config = load_task_model(head_export(ctx.registry, run), ctx.device)
    classes = len(config["classes"])
    if config["classes"] != list(index.classes):
        raise RuntimeError(f"head run {run.id} was trained on other classes than {dataset.name} now has")
    vcfg = module.model.cfg.video
    split = "test" if "test" in index.splits else "val"
    data = ActionDataset(index, split=split, num_frames=vcfg.num_frames, size=vcfg.image_size, train=False,
                         views=opts.views, crops=opts.crops, clip_cache=ctx.clip_cache() if opts.views == 1 else None)
    loader = eval_loader(data, opts.batch_size, opts.workers, collate_action)
    with ctx.progress(f"action_ft {dataset.name} {split}: videos", len(data)) as advance:
        logits, labels, valid = predict(module, loader, ctx.device, len(data), advance)
    keep = valid & (labels >= 0)
    if not keep.any():
        raise RuntimeError(f"no readable labelled video in {dataset.name} {split}")
    return EvalOutcome(
        split=split, metrics=action_metrics(logits[keep], labels[keep]), n=int(keep.sum()),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": opts.views * opts.crops,
                  "temporal_views": opts.views, "crops": opts.crops,
                  "head": "video tower + linear classifier, fine-tuned", **head_protocol(run), "classes": classes,
                  "coverage": float(valid.mean())},
        chance={"top1": 100.0 / classes, "top5": 100.0 * min(5, classes) / classes, "mean_class_acc": 100.0 / classes},
        details={"timing": {**timing, "eval_wall_s": round(time.perf_counter() - t_eval, 1)}},
    )
