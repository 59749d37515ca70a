"""Pooling video tokens into a fixed-size feature that keeps a coarse layout in space and time.

Shape letters: B clips, Nt temporal positions, Ns = side * side spatial positions, g grid side, C width.

The usual "pooled feature" (the mean over all tokens) averages away where things are and when, and
with it motion: an object moving left and one moving right give the same mean. Averaging the tokens
over a g x g grid of spatial cells at each temporal position keeps a coarse trajectory that a linear
layer can read (g = 1 with time kept: one mean per temporal position; g = 1 without: the plain mean).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor


def grid_pool(tokens: Tensor, grid: int, keep_time: bool) -> Tensor:
    """tokens [B, Nt, Ns, C] -> [B, Nt * g * g * C] (keep_time) or [B, g * g * C]."""
    B, Nt, Ns, C = tokens.shape
    if grid == 1:
        cells = tokens.mean(2, keepdim=True)  # [B, Nt, 1, C]
    else:
        side = math.isqrt(Ns)
        maps = tokens.reshape(B * Nt, side, side, C).permute(0, 3, 1, 2)  # [B*Nt, C, side, side]
        cells = F.adaptive_avg_pool2d(maps, grid).flatten(2).transpose(1, 2).reshape(B, Nt, grid * grid, C)
    if not keep_time:
        cells = cells.mean(1, keepdim=True)  # [B, 1, g*g, C]
    return cells.flatten(1)


def pooled_width(width: int, temporal: int, grid: int, keep_time: bool) -> int:
    """The length of `grid_pool`'s output for C = width and Nt = temporal."""
    return width * grid * grid * (temporal if keep_time else 1)
