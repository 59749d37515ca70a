"""S-ViLM: the dual encoder (video tower, text tower, learnable logit scale), no cross-modal fusion.

Shape letters: B batch, T frames, Nt temporal positions, L text tokens, D joint embedding dim.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from core.model.config import ModelConfig
from core.model.inflate import TowerInit, load_2d_vit
from core.model.initialization import resolve_model_config
from core.model.text_encoder import TextEncoder
from core.model.video_encoder import VideoEncoder, VideoOutput
from core.model.vit_checkpoint import open_vit


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
    """Video and text towers mapping into one D-dimensional space.

    With `pretrained` (the default), towers whose config names a checkpoint start from it (the
    config resolved against it first, see `core.model.initialization`) and `initialization` says
    what was loaded; `pretrained=False` builds the architecture alone, for weights that come next
    (an export's).
    """

    def __init__(self, cfg: ModelConfig, pretrained: bool = True) -> None:
        super().__init__()
        if pretrained:
            cfg = resolve_model_config(cfg)
        self.cfg = cfg
        self.video = VideoEncoder(cfg.video, cfg.embed_dim)
        self.text = TextEncoder(cfg.text, cfg.embed_dim, load_weights=pretrained)
        video_init = TowerInit(source=None, new=len(self.video.state_dict()))
        if pretrained and cfg.video.pretrained is not None:
            video_init = load_2d_vit(self.video, open_vit(cfg.video.pretrained), cfg.video.inflate)
        # What initialised each tower (a plain dict: what runs record and `runs show --json` prints).
        self.initialization = {"video": {**video_init.to_dict(), "inflate": cfg.video.inflate if video_init.source else None},
                               "text": self.text.initialization.to_dict()}
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
