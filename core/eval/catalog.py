"""The `EVALUATORS` table: every task `sviml eval --all` runs, and the dataset kinds it runs on.

An evaluator is `run(ctx, dataset_row, index) -> EvalOutcome`. Each registered dataset whose
kind is listed is evaluated (the real dataset and its synthetic twin alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.eval.linear_probe import evaluate_action_linear
from core.eval.retrieval_zs import evaluate_retrieval_zs


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
})
