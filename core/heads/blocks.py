"""A pre-norm transformer block with an optional key padding mask, shared by the task heads.

Shape letters: B batch, L tokens, W width, h heads.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class FusionBlock(nn.Module):
    """Pre-norm transformer block with a key padding mask: x + attn(norm(x)), x + mlp(norm(x))."""

    def __init__(self, width: int, heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, int(width * mlp_ratio)), nn.GELU(),
                                 nn.Linear(int(width * mlp_ratio), width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, keep: Tensor | None = None) -> Tensor:
        """x [B, L, W], keep [B, L] bool (False: padding, never attended to; None: all) -> [B, L, W]."""
        B, L, W = x.shape
        qkv = self.qkv(self.norm1(x)).view(B, L, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # [B, h, L, W/h] each
        mask = None if keep is None else keep[:, None, None, :]  # [B, 1, 1, L]
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # [B, h, L, W/h]
        x = x + self.drop(self.proj(attn.transpose(1, 2).reshape(B, L, W)))  # [B, L, W]
        return x + self.drop(self.mlp(self.norm2(x)))  # [B, L, W]
