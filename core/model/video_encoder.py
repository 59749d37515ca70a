"""Video tower E_v: tubelet ViT with learnable group tokens and grouping blocks.

Shape letters: B batch, T frames, H/W pixels, Nt temporal positions, Ns spatial positions,
L = Nt * Ns video tokens, M group tokens, C width, D joint embedding dim.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from core.model.config import VideoConfig
from core.model.grouping import GroupingBlock
from core.model.layers import Block, SpaceTimePosEmbed, TubeletEmbed


class VideoOutput(NamedTuple):
    """What the video tower produces for a batch of clips."""

    tokens: Tensor  # Z [B, Nt, Ns, C], after the final LayerNorm
    clip: Tensor  # z [B, Nt, C], mean of Z over Ns
    regions: Tensor | None  # R [B, M, D], L2-normalised (None when not requested)
    embedding: Tensor  # u [B, D], L2-normalised
    assignment: Tensor | None  # last grouping block's hard assignment [B, M, Nt*Ns] (None with regions)


class VideoEncoder(nn.Module):
    """`[B, T, 3, H, W]` frames (uint8 0-255 or float in [0, 1]) -> `VideoOutput`."""

    def __init__(self, cfg: VideoConfig, embed_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        C = cfg.width
        self.patch_embed = TubeletEmbed(cfg.tubelet, cfg.patch, C)
        grid = cfg.image_size // cfg.patch
        self.pos_embed = SpaceTimePosEmbed(cfg.num_frames // cfg.tubelet, grid, grid, C)
        self.group_tokens = nn.Parameter(torch.zeros(1, cfg.num_groups, C))
        nn.init.trunc_normal_(self.group_tokens, std=0.02)
        self.blocks = nn.ModuleList(Block(C, cfg.heads, cfg.mlp_ratio, cfg.norm_eps) for _ in range(cfg.depth))
        self.grouping = nn.ModuleDict(
            {
                str(i): GroupingBlock(C, cfg.num_groups, cfg.heads, cfg.mlp_ratio, cfg.gumbel, cfg.gumbel_tau)
                for i in sorted(cfg.grouping_after)
            }
        )
        self.last_grouping = max(cfg.grouping_after)
        self.norm = nn.LayerNorm(C, eps=cfg.norm_eps)
        self.norm_regions = nn.LayerNorm(C)
        self.proj = nn.Linear(C, embed_dim, bias=False)
        self.proj_regions = nn.Linear(C, embed_dim, bias=False)
        # Fold /255 and mean/std into one scale and shift: x * scale + shift.
        mean, std = torch.tensor(cfg.mean), torch.tensor(cfg.std)
        self.register_buffer("pixel_scale", (1.0 / std).view(1, 1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_shift", (-mean / std).view(1, 1, 3, 1, 1), persistent=False)
        self.apply(_init_weights)

    def normalize(self, frames: Tensor) -> Tensor:
        """uint8 [0, 255] or float [0, 1] frames -> normalised [B, T, 3, H, W] in the weights' dtype.

        Computed in fp32, then cast to the tubelet projection's dtype so that a model whose
        weights were cast to bf16 (e.g. by DeepSpeed's bf16 mode) also runs without autocast.
        """
        scale = self.pixel_scale
        if frames.dtype == torch.uint8:
            scale = scale / 255.0
        x = torch.addcmul(self.pixel_shift, frames.float(), scale)  # [B, T, 3, H, W]
        return x.to(self.patch_embed.proj.weight.dtype)

    def embed(self, frames: Tensor) -> Tensor:
        """Frames [B, T, 3, H, W] -> tubelet embeddings plus space-time positions [B, Nt, Ns, C]."""
        x = self.patch_embed(self.normalize(frames))  # [B, Nt, Ns, C]
        grid = frames.shape[-2] // self.cfg.patch, frames.shape[-1] // self.cfg.patch
        return x + self.pos_embed(x.shape[1], *grid)  # [B, Nt, Ns, C]

    def _run(self, fn: nn.Module, *args: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        if self.cfg.grad_checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(fn, *args, use_reentrant=False)
        return fn(*args)

    def forward(self, frames: Tensor, pool_mask: Tensor | None = None, with_regions: bool = True) -> VideoOutput:
        """Encode clips.

        pool_mask [B, Nt] (1 = pool this position) restricts the global embedding's temporal
        mean, e.g. to the foreground of a pasted clip. `with_regions=False` skips a grouping
        block placed after the last layer, whose only use is the region features.
        """
        x = self.embed(frames)  # [B, Nt, Ns, C]
        B, Nt, Ns, C = x.shape
        x = x.reshape(B, Nt * Ns, C)  # [B, L, C]
        L = Nt * Ns
        h = torch.cat([x, self.group_tokens.expand(B, -1, -1)], dim=1)  # [B, L+M, C]
        groups = assign = None
        depth = len(self.blocks)
        for i, block in enumerate(self.blocks, start=1):
            h = self._run(block, h)  # [B, L+M, C]
            key = str(i)
            if key in self.grouping and (with_regions or i < depth):
                groups, assign = self._run(self.grouping[key], h[:, :L], h[:, L:])  # [B, M, C], [B, M, L]
                h = torch.cat([h[:, :L], groups], dim=1)  # [B, L+M, C]
        tokens = self.norm(h[:, :L]).reshape(B, Nt, Ns, C)  # [B, Nt, Ns, C]
        clip = tokens.mean(dim=2)  # [B, Nt, C]
        if pool_mask is None:
            pooled = clip.mean(dim=1)  # [B, C]
        else:
            m = pool_mask.to(clip.dtype).unsqueeze(-1)  # [B, Nt, 1]
            pooled = (clip * m).sum(1) / m.sum(1).clamp_min(1.0)  # [B, C]
        embedding = F.normalize(self.proj(pooled), dim=-1)  # [B, D]
        regions = None
        if with_regions:
            regions = F.normalize(self.proj_regions(self.norm_regions(groups)), dim=-1)  # [B, M, D]
        else:
            assign = None
        return VideoOutput(tokens, clip, regions, embedding, assign)


def _init_weights(module: nn.Module) -> None:
    """ViT initialisation: truncated normal linears, zero biases, unit LayerNorms."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
