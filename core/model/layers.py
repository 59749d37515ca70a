"""Transformer building blocks for the video tower.

Shape letters: B batch, T frames, Nt temporal positions, Ns spatial positions (Hp * Wp),
L tokens, C width, h heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Attention(nn.Module):
    """Multi-head self-attention through `F.scaled_dot_product_attention` (fused CPU/GPU kernels)."""

    def __init__(self, dim: int, heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)  # one matmul for q, k and v
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        B, L, C = x.shape
        qkv = self.qkv(x).view(B, L, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)  # [3, B, h, L, C/h]
        q, k, v = qkv.unbind(0)  # unbind, not indexing: its backward is one stack, not three zero-fills
        out = F.scaled_dot_product_attention(q, k, v)  # [B, h, L, C/h]
        return self.proj(out.transpose(1, 2).reshape(B, L, C))  # [B, L, C]


class Mlp(nn.Module):
    """Linear -> GELU -> Linear on the last axis."""

    def __init__(self, dim: int, hidden: int, out: int | None = None, out_bias: bool = True) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, out or dim, bias=out_bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, eps: float = 1e-5) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))  # [B, L, C]
        return x + self.mlp(self.norm2(x))  # [B, L, C]


class TubeletEmbed(nn.Module):
    """Non-overlapping tubelets (tubelet x patch x patch) -> linear embedding.

    Equivalent to a Conv3d with kernel = stride = (tubelet, patch, patch) (the flattened patch
    is ordered (channel, t, y, x) like a Conv3d weight), written as reshape + Linear because a
    strided Conv3d is markedly slower on CPU.
    """

    def __init__(self, tubelet: int, patch: int, dim: int, in_chans: int = 3) -> None:
        super().__init__()
        self.tubelet = tubelet
        self.patch = patch
        self.proj = nn.Linear(in_chans * tubelet * patch * patch, dim)

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, 3, H, W] float -> [B, Nt, Ns, C]."""
        B, T, Ch, H, W = x.shape
        t, p = self.tubelet, self.patch
        if T % t or H % p or W % p:
            raise ValueError(f"input {T}x{H}x{W} is not divisible into {t}x{p}x{p} tubelets")
        Nt, Hp, Wp = T // t, H // p, W // p
        x = x.reshape(B, Nt, t, Ch, Hp, p, Wp, p)
        x = x.permute(0, 1, 4, 6, 3, 2, 5, 7)  # [B, Nt, Hp, Wp, 3, t, p, p]
        x = x.reshape(B, Nt, Hp * Wp, Ch * t * p * p)  # [B, Nt, Ns, 3*t*p*p]
        return self.proj(x)  # [B, Nt, Ns, C]


class SpaceTimePosEmbed(nn.Module):
    """Separable learned position embeddings: temporal [Nt, C] + spatial [Hp, Wp, C].

    Other frame counts and resolutions interpolate the tables (linear in time, bicubic in space),
    as ViT fine-tuning at a new resolution does.
    """

    def __init__(self, grid_t: int, grid_h: int, grid_w: int, dim: int) -> None:
        super().__init__()
        self.temporal = nn.Parameter(torch.zeros(grid_t, dim))
        self.spatial = nn.Parameter(torch.zeros(grid_h, grid_w, dim))
        nn.init.trunc_normal_(self.temporal, std=0.02)
        nn.init.trunc_normal_(self.spatial, std=0.02)

    def forward(self, nt: int, hp: int, wp: int) -> Tensor:
        """The embedding for an Nt x Hp x Wp grid -> [1, Nt, Hp*Wp, C]."""
        temporal = self.temporal  # [Nt0, C]
        if temporal.shape[0] != nt:
            temporal = F.interpolate(temporal.T[None], size=nt, mode="linear", align_corners=False)[0].T  # [Nt, C]
        spatial = self.spatial  # [Hp0, Wp0, C]
        if spatial.shape[:2] != (hp, wp):
            grid = spatial.permute(2, 0, 1)[None]  # [1, C, Hp0, Wp0]
            spatial = F.interpolate(grid, size=(hp, wp), mode="bicubic", align_corners=False)[0].permute(1, 2, 0)
        C = temporal.shape[-1]
        return (temporal[:, None, :] + spatial.reshape(1, hp * wp, C))[None]  # [1, Nt, Ns, C]
