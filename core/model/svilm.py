"""S-ViLM: the dual encoder (video tower, text tower, learnable logit scale), no cross-modal fusion.

Shape letters: B batch, T frames, Nt temporal positions, L text tokens, D joint embedding dim.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from core.model.config import ModelConfig
from core.model.text_encoder import TextEncoder
from core.model.video_encoder import VideoEncoder, VideoOutput


class SViLMOutput(NamedTuple):
    video: VideoOutput
    text: Tensor  # w [B, D], L2-normalised
    logit_scale: Tensor  # scalar, exp of the learnable log scale, clamped


class LogitScale(nn.Module):
    """The learnable contrastive temperature, stored as a log so that it stays positive."""

    def __init__(self, init: float) -> None:
        super().__init__()
        # Shape [1], not 0-dim: DeepSpeed broadcasts parameters as byte views, which 0-dim tensors refuse.
        self.log_logit_scale = nn.Parameter(torch.tensor([math.log(init)]))  # CLIP's 1/0.07 by default


class SViLM(nn.Module):
    """Video and text towers mapping into one D-dimensional space."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.video = VideoEncoder(cfg.video, cfg.embed_dim)
        self.text = TextEncoder(cfg.text, cfg.embed_dim)
        # A child module registered last, so its one-element parameter comes after every weight:
        # DeepSpeed packs parameters into one flat buffer in this order, and a 1-element tensor
        # first would leave every weight 2 bytes off 16-byte alignment, which sends bf16 GEMMs
        # to slow fallback kernels (measured: 10% instead of 20%+ MFU on an H200).
        self.logit = LogitScale(cfg.logit_scale_init)

    @property
    def log_logit_scale(self) -> nn.Parameter:
        return self.logit.log_logit_scale

    def logit_scale(self) -> Tensor:
        """exp(log scale), clamped at `cfg.logit_scale_max` (100) against instability."""
        return self.log_logit_scale.exp().clamp(max=self.cfg.logit_scale_max).squeeze(0)

    def encode_video(self, frames: Tensor, pool_mask: Tensor | None = None, with_regions: bool = True) -> VideoOutput:
        """frames [B, T, 3, H, W] uint8 or float in [0, 1]; pool_mask [B, Nt] -> `VideoOutput`."""
        return self.video(frames, pool_mask, with_regions)

    def encode_text(self, ids: Tensor, mask: Tensor, pooling: str | None = None, trim: bool = True) -> Tensor:
        """ids, mask [B, L] -> L2-normalised text embeddings [B, D] (`trim`: cut all-padding columns)."""
        return self.text.encode(ids, mask, pooling, trim)

    def forward(
        self, frames: Tensor, caption_ids: Tensor, caption_mask: Tensor, pool_mask: Tensor | None = None
    ) -> SViLMOutput:
        return SViLMOutput(self.encode_video(frames, pool_mask), self.encode_text(caption_ids, caption_mask), self.logit_scale())
