"""S-ViLM pre-training losses: contrastive, spatial grounding, temporal grouping, and the objective."""

from core.losses.config import LossConfig
from core.losses.contrastive import contrastive_loss, info_nce
from core.losses.gather import all_gather_with_grad
from core.losses.grounding import grounding_loss, grounding_scores
from core.losses.objective import PretrainObjective
from core.losses.temporal import foreground_probability, temporal_loss

__all__ = [
    "LossConfig",
    "PretrainObjective",
    "all_gather_with_grad",
    "contrastive_loss",
    "foreground_probability",
    "grounding_loss",
    "grounding_scores",
    "info_nce",
    "temporal_loss",
]
