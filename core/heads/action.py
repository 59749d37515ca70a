"""Action recognition, fully fine-tuned: the video tower plus a linear classifier on pooled features.

Shape letters: B batch, V views, T frames, Nt temporal positions, C video width, K classes.

Features: the video tokens pooled (`core.heads.pooling.grid_pool`), by default to the plain mean
over all tokens (the linear probe's feature, width C); `head.grid` > 1 and `head.keep_time` keep a
coarse grid of cells at every temporal position instead [choice]: the synthetic classes differ
only by motion, which the plain mean averages away (measured on the small demo: 10% top-1, chance
8%, vs 38-42% with a 2x2 or 4x4 grid after the same 150 steps). Then LayerNorm, dropout and one
linear layer. At test time the logits of the V views of a video are averaged (multi-view testing).
"""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from core.config import ConfigModel
from core.heads.batches import on_device
from core.heads.pooling import grid_pool, pooled_width


class ActionHeadConfig(ConfigModel):
    grid: int = Field(1, ge=1)  # tokens averaged over a grid x grid layout of spatial cells (1: over all of space)
    keep_time: bool = False  # one pooled feature per temporal position, concatenated (else averaged)
    dropout: float = Field(0.0, ge=0, lt=1)  # on the pooled features, before the classifier
    label_smoothing: float = Field(0.0, ge=0, lt=1)


class ActionClassifier(nn.Module):
    """Video tokens [B, Nt, Ns, C] -> pooled features [B, F] -> logits [B, K]."""

    def __init__(self, cfg: ActionHeadConfig, video_width: int, temporal: int, num_classes: int) -> None:
        super().__init__()
        self.cfg = cfg
        width = pooled_width(video_width, temporal, cfg.grid, cfg.keep_time)  # F
        self.norm = nn.LayerNorm(width)  # the pooled features' scale differs from the tokens'
        self.drop = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(width, num_classes)
        nn.init.trunc_normal_(self.fc.weight, std=0.02)
        nn.init.zeros_(self.fc.bias)

    def forward(self, tokens: Tensor) -> Tensor:
        pooled = grid_pool(tokens, self.cfg.grid, self.cfg.keep_time)  # [B, F]
        return self.fc(self.drop(self.norm(pooled)))  # [B, K]


class ActionModel(nn.Module):
    """The towers plus the classifier; `forward(batch)` -> {"loss", "acc"} for the training engine."""

    def __init__(self, towers: nn.Module, head: ActionClassifier) -> None:
        super().__init__()
        self.model = towers
        self.head = head

    def logits(self, frames: Tensor) -> Tensor:
        """frames [B, T, 3, H, W] -> [B, K]; or [B, V, T, 3, H, W] -> view-averaged [B, K]."""
        views = frames.dim() == 6
        flat = frames.flatten(0, 1) if views else frames  # [B*V, T, 3, H, W]
        tokens = self.model.encode_video(flat, with_regions=False).tokens  # [B*V, Nt, Ns, C]
        logits = self.head(tokens)  # [B*V, K]
        return logits.view(frames.shape[0], frames.shape[1], -1).mean(1) if views else logits

    def forward(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        batch = on_device(batch, self)
        logits = self.logits(batch["frames"]).float()  # [B, K]
        label = batch["label"]  # [B]
        loss = F.cross_entropy(logits, label, label_smoothing=self.head.cfg.label_smoothing)
        return {"loss": loss, "acc": (logits.argmax(1) == label).float().mean().detach()}
