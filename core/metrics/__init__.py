"""Evaluation metrics: pure functions, numpy or torch in, plain floats out (percent; ranks stay ranks)."""

from core.metrics.action import action_metrics, average_views
from core.metrics.qa import qa_accuracy
from core.metrics.retrieval import retrieval_metrics
from core.metrics.tal import nms, pairwise_tiou, soft_nms, tal_map, tiou

__all__ = [
    "action_metrics",
    "average_views",
    "nms",
    "pairwise_tiou",
    "qa_accuracy",
    "retrieval_metrics",
    "soft_nms",
    "tal_map",
    "tiou",
]
