"""Open-ended video QA: a fusion transformer over [video tokens; question tokens] and an answer classifier.

Shape letters: B batch, T frames, Nt temporal positions, Ns spatial positions, Lv = Nt * Ns'
video tokens after spatial pooling, Lq question tokens, W head width, A answers.

S-ViLM is a dual encoder without cross-modal layers, so QA needs a fusion head [choice: the
paper does not describe its head]. Ours is a small pre-norm transformer: the video tower's
tokens and the text tower's per-token features are projected to the head width, tagged with a
type embedding (video / question), prefixed by a learned [ANS] token, and mixed by full
self-attention (padding question tokens masked out); the [ANS] token's output goes through an
MLP classifier over the answer vocabulary. The whole thing, towers included, is fine-tuned end
to end. Questions whose answer is out of the vocabulary are ignored by the training loss and
count as wrong at test time.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import Tensor, nn

from core.config import ConfigModel
from core.heads.batches import on_device
from core.heads.blocks import FusionBlock


class QAHeadConfig(ConfigModel):
    """Size of the fusion head (the towers' sizes come from the pre-trained model)."""

    width: int = 256  # W
    depth: int = Field(2, ge=1)  # fusion layers (the spec: 2-4)
    heads: int = 4
    mlp_ratio: float = 4.0
    dropout: float = Field(0.1, ge=0, lt=1)
    spatial_pool: int = Field(1, ge=1)  # average-pool the Ns grid by this factor per side (fewer video tokens)
    label_smoothing: float = Field(0.0, ge=0, lt=1)

    @model_validator(mode="after")
    def _divisible(self) -> QAHeadConfig:
        if self.width % self.heads:
            raise ValueError(f"head.width={self.width} is not divisible by head.heads={self.heads}")
        return self


class QAFusionHead(nn.Module):
    """(video tokens, question token features, question mask) -> answer logits [B, A]."""

    def __init__(self, cfg: QAHeadConfig, video_width: int, text_width: int, num_answers: int) -> None:
        super().__init__()
        self.cfg = cfg
        W = cfg.width
        self.video_in = nn.Linear(video_width, W)
        self.text_in = nn.Linear(text_width, W)
        self.type_embed = nn.Parameter(torch.zeros(2, W))  # row 0: video token, row 1: question token
        self.answer_token = nn.Parameter(torch.zeros(1, 1, W))
        self.blocks = nn.ModuleList(FusionBlock(W, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(W)
        self.classifier = nn.Sequential(nn.Linear(W, W), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(W, num_answers))
        for p in (self.type_embed, self.answer_token):
            nn.init.trunc_normal_(p, std=0.02)

    def pool_video(self, tokens: Tensor) -> Tensor:
        """[B, Nt, Ns, C] -> [B, Lv, C]: the spatial grid average-pooled by `spatial_pool`."""
        B, Nt, Ns, C = tokens.shape
        k = self.cfg.spatial_pool
        if k == 1:
            return tokens.reshape(B, Nt * Ns, C)
        side = math.isqrt(Ns)
        grid = tokens.reshape(B * Nt, side, side, C).permute(0, 3, 1, 2)  # [B*Nt, C, side, side]
        pooled = F.avg_pool2d(grid, k, ceil_mode=True)  # [B*Nt, C, side/k, side/k]
        return pooled.flatten(2).transpose(1, 2).reshape(B, -1, C)  # [B, Lv, C]

    def forward(self, video_tokens: Tensor, text_tokens: Tensor, text_mask: Tensor) -> Tensor:
        """video_tokens [B, Nt, Ns, Cv], text_tokens [B, Lq, Ct], text_mask [B, Lq] -> logits [B, A]."""
        video = self.video_in(self.pool_video(video_tokens)) + self.type_embed[0]  # [B, Lv, W]
        text = self.text_in(text_tokens) + self.type_embed[1]  # [B, Lq, W]
        B, Lv = video.shape[:2]
        x = torch.cat([self.answer_token.expand(B, -1, -1), video, text], dim=1)  # [B, 1+Lv+Lq, W]
        keep = torch.cat([torch.ones(B, 1 + Lv, dtype=torch.bool, device=x.device), text_mask.bool()], dim=1)
        for block in self.blocks:
            x = block(x, keep)  # [B, 1+Lv+Lq, W]
        return self.classifier(self.norm(x[:, 0]))  # [B, A]


class QAModel(nn.Module):
    """The towers plus the fusion head; `forward(batch)` -> {"loss", "acc"} for the training engine."""

    def __init__(self, towers: nn.Module, head: QAFusionHead) -> None:
        super().__init__()
        self.model = towers  # an SViLM ("model." in the export, like pre-training's objective)
        self.head = head

    def logits(self, frames: Tensor, question_ids: Tensor, question_mask: Tensor) -> Tensor:
        """frames [B, T, 3, H, W], question ids/mask [B, Lq] -> answer logits [B, A]."""
        video = self.model.encode_video(frames, with_regions=False).tokens  # [B, Nt, Ns, C]
        keep = int(question_mask.sum(1).max().clamp_min(1))  # cut all-padding columns
        ids, mask = question_ids[:, :keep], question_mask[:, :keep]  # [B, Lq]
        text = self.model.text.bert(input_ids=ids, attention_mask=mask).last_hidden_state  # [B, Lq, Ct]
        return self.head(video, text, mask)  # [B, A]

    def forward(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        batch = on_device(batch, self)
        logits = self.logits(batch["frames"], batch["question_ids"], batch["question_mask"]).float()  # [B, A]
        target = batch["answer_index"]  # [B], -1: out of vocabulary
        known = target >= 0
        if known.any():
            loss = F.cross_entropy(logits[known], target[known], label_smoothing=self.head.cfg.label_smoothing)
        else:  # every answer out of vocabulary: a zero loss that still reaches every parameter
            loss = logits.sum() * 0.0
        acc = (logits.argmax(1) == target).float().mean()  # out-of-vocabulary answers count as wrong
        return {"loss": loss, "acc": acc.detach()}
