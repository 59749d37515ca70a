"""The `EVALUATORS` table: every task `sviml eval --all` runs, and the dataset kinds it runs on.

An evaluator is `run(ctx, dataset_row, index) -> EvalOutcome`. Each registered dataset whose
kind is listed is evaluated (the real dataset and its synthetic twin alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.eval.action_ft import evaluate_action_ft
from core.eval.grounding import evaluate_grounding
from core.eval.linear_probe import evaluate_action_linear
from core.eval.qa import evaluate_qa
from core.eval.retrieval_ft import evaluate_retrieval_ft
from core.eval.retrieval_zs import evaluate_retrieval_zs
from core.eval.tal import evaluate_tal
from core.eval.temporal_grouping import evaluate_temporal_grouping


@dataclass(frozen=True)
class Evaluator:
    task: str
    kinds: tuple[str, ...]
    description: str
    run: Callable[..., Any]
    headline: tuple[str, ...]  # metrics shown in the summary table
    synthetic_only: bool = False  # needs the ground truth only the synthetic suite has


EVALUATORS: Mapping[str, Evaluator] = MappingProxyType({
    "retrieval_zs": Evaluator("retrieval_zs", ("msrvtt",), "text-video retrieval, zero-shot (1k-A / test)",
                              evaluate_retrieval_zs, ("t2v_R@1", "t2v_R@10", "v2t_R@1")),
    "action_linear": Evaluator("action_linear", ("ucf101", "hmdb51"), "action recognition, linear probe (split 1)",
                               evaluate_action_linear, ("top1", "top5")),
    "grounding": Evaluator("grounding", ("msrvtt",), "group assignment vs object masks, noun -> region (synthetic)",
                           evaluate_grounding, ("group_object_iou", "noun_region_acc"), synthetic_only=True),
    "temporal_grouping": Evaluator("temporal_grouping", ("msrvtt", "activitynet"),
                                   "fg/bg of pasted clips, scene cuts (synthetic)", evaluate_temporal_grouping,
                                   ("fg_bg_acc", "cut_f1"), synthetic_only=True),
    # Task heads: each trains (or reuses) a head run of the evaluated checkpoint, then scores it.
    "retrieval_ft": Evaluator("retrieval_ft", ("msrvtt",), "text-video retrieval, fine-tuned towers (1k-A / test)",
                              evaluate_retrieval_ft, ("t2v_R@1", "t2v_R@10", "v2t_R@1")),
    "qa": Evaluator("qa", ("msrvtt-qa", "msvd-qa"), "open-ended video QA, fine-tuned fusion head (test)",
                    evaluate_qa, ("acc",)),
    "action_ft": Evaluator("action_ft", ("ucf101", "hmdb51"), "action recognition, full fine-tuning (split 1)",
                           evaluate_action_ft, ("top1", "top5")),
    "tal": Evaluator("tal", ("activitynet",), "temporal action localization, frozen features + ActionFormer-style "
                     "head (validation)", evaluate_tal, ("mAP@0.50", "mAP@0.75", "avg_mAP")),
})
