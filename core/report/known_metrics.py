"""What reports know about tasks, metrics and dataset kinds: order, titles, direction, headlines.

Read-only tables. The evaluators write `EvalResult` rows with these task and metric names; a task
or metric that is not listed here still shows (after the known ones, all of its metrics), so a
new evaluator never has its numbers hidden by an old report.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_RETRIEVAL = tuple(f"{d}_{m}" for d in ("t2v", "v2t") for m in ("R@1", "R@5", "R@10", "MdR", "MnR"))
_ACTION = ("top1", "top5", "mean_class_acc")
_TAL = tuple(f"mAP@{t / 100:.2f}" for t in range(50, 100, 5)) + ("avg_mAP",)

# task -> (title, every metric in display order, headline metrics shown by default)
TASKS: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    "retrieval_zs": ("text-video retrieval (zero-shot)", _RETRIEVAL, ("t2v_R@1", "t2v_R@10")),
    "retrieval_ft": ("text-video retrieval (fine-tuned)", _RETRIEVAL, ("t2v_R@1", "t2v_R@10")),
    "qa": ("video question answering", ("acc",), ("acc",)),
    "action_linear": ("action recognition (linear probe)", _ACTION, ("top1",)),
    "action_ft": ("action recognition (fine-tuned)", _ACTION, ("top1",)),
    "tal": ("temporal action localization", _TAL, ("mAP@0.50", "avg_mAP")),
    "grounding": ("spatial grounding (synthetic)", ("group_object_iou", "noun_region_acc", "group_iou_with_bg"),
                  ("group_object_iou", "noun_region_acc")),
    # fg_bg_soft_centred is a headline: on the synthetic suite the pixels alone separate pasted
    # scenes (fg_bg_acc ~100 even untrained), and this is the number that follows training.
    "temporal_grouping": ("temporal grouping (synthetic)",
                          ("fg_bg_acc", "fg_bg_acc_centred", "fg_bg_soft_centred", "cut_f1", "cut_precision",
                           "cut_recall"),
                          ("fg_bg_acc", "fg_bg_soft_centred", "cut_f1")),
})

# The real benchmarks in the paper's order; a synthetic dataset names the kind it imitates.
DATASET_KINDS: tuple[str, ...] = ("msrvtt", "msrvtt-qa", "msvd-qa", "ucf101", "hmdb51", "activitynet")
KIND_TITLES: Mapping[str, str] = MappingProxyType({
    "msrvtt": "MSR-VTT", "msrvtt-qa": "MSRVTT-QA", "msvd-qa": "MSVD-QA", "ucf101": "UCF101",
    "hmdb51": "HMDB51", "activitynet": "ActivityNet v1.3",
})
# Fallback when a result's protocol lacks `dataset_kind` (older rows): the synthetic suite's names.
_KIND_BY_NAME: Mapping[str, str] = MappingProxyType({
    "synth-msrvtt": "msrvtt", "synth-msrvtt-qa": "msrvtt-qa", "synth-msvd-qa": "msvd-qa",
    "synth-ucf": "ucf101", "synth-ucf101": "ucf101", "synth-hmdb": "hmdb51", "synth-hmdb51": "hmdb51",
    "synth-anet": "activitynet", "synth-activitynet": "activitynet",
})


def task_order(task: str) -> tuple[int, str]:
    """Sort key: known tasks in the paper's order, unknown ones after them, alphabetically."""
    names = list(TASKS)
    return (names.index(task), "") if task in TASKS else (len(names), task)


def task_title(task: str) -> str:
    return TASKS[task][0] if task in TASKS else task


def metric_order(task: str, metric: str) -> tuple[int, str]:
    metrics = TASKS[task][1] if task in TASKS else ()
    return (metrics.index(metric), "") if metric in metrics else (len(metrics), metric)


def is_headline(task: str, metric: str) -> bool:
    """Shown by default; every metric of a task this catalogue does not know is shown."""
    return task not in TASKS or metric in TASKS[task][2]


def lower_is_better(metric: str) -> bool:
    """Ranks (median and mean rank) are better when smaller; every other metric when larger."""
    return metric.endswith("MdR") or metric.endswith("MnR")


def is_synthetic(dataset: str, protocol: Mapping[str, Any] | None = None) -> bool:
    """A dataset of the synthetic suite: never the same benchmark as the paper's real one."""
    if protocol and isinstance(protocol.get("synthetic"), bool):
        return protocol["synthetic"]
    return dataset.startswith("synth")


def dataset_kind(dataset: str, protocol: Mapping[str, Any] | None = None) -> str | None:
    """The benchmark a dataset belongs to: `protocol.dataset_kind`, else a guess from the name."""
    kind = (protocol or {}).get("dataset_kind")
    if isinstance(kind, str) and kind:
        return kind
    if dataset in DATASET_KINDS:
        return dataset
    return _KIND_BY_NAME.get(dataset)


def dataset_order(dataset: str, kind: str | None, synthetic: bool) -> tuple[int, int, str]:
    """Real datasets first in the paper's order, then synthetic ones, alphabetically within a kind."""
    rank = DATASET_KINDS.index(kind) if kind in DATASET_KINDS else len(DATASET_KINDS)
    return (int(synthetic), rank, dataset)
