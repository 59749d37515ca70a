"""Retrieval fine-tuning: the global contrastive loss on both towers, no extra head.

Shape letters: B per-rank batch, W world size, D joint embedding dim.

The same symmetric InfoNCE as pre-training's L_contrast (features gathered from every rank,
learnable logit scale), on whole clips (no cut-and-paste: the caption describes the whole clip).
The fine-tuned towers are exported as a plain S-ViLM, so every evaluator can load them.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from core.heads.batches import on_device
from core.losses.contrastive import contrastive_loss


class RetrievalObjective(nn.Module):
    """`forward(batch)` -> {"loss", "logit_scale"}; batch: frames, caption_ids, caption_mask."""

    def __init__(self, towers: nn.Module, rank: int = 0, world_size: int = 1) -> None:
        super().__init__()
        self.model = towers
        self.rank = rank
        self.world_size = world_size

    def forward(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        batch = on_device(batch, self)
        video = self.model.encode_video(batch["frames"], with_regions=False).embedding  # [B, D]
        text = self.model.encode_text(batch["caption_ids"], batch["caption_mask"])  # [B, D]
        scale = self.model.logit_scale()
        loss = contrastive_loss(video, text, scale, self.rank, self.world_size)
        return {"loss": loss, "logit_scale": scale.detach()}
