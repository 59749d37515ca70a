"""Intra-clip temporal grouping loss L_t: tell a pasted clip's foreground from its background.

Shape letters: B batch, Nt temporal positions, C clip feature width.

With L2-normalised clip features z[t] and paste mask m[t]:
  c_f = mean of z over the foreground, c_b = mean over the background
  p[t] = softmax((cos(z[t], c_f), cos(z[t], c_b)) / tau_t) at f
  L_t  = mean over clips and positions of (p[t] - m[t])^2
Per-clip: needs no gathering across ranks.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def foreground_probability(clip: Tensor, mask: Tensor, tau: float = 0.1) -> Tensor:
    """clip z [B, Nt, C], mask m [B, Nt] (0/1, at least one of each) -> p [B, Nt] (fp32)."""
    z = F.normalize(clip.float(), dim=-1)  # [B, Nt, C]
    m = mask.float().unsqueeze(-1)  # [B, Nt, 1]
    c_f = (z * m).sum(1) / m.sum(1).clamp_min(1.0)  # [B, C]
    c_b = (z * (1 - m)).sum(1) / (1 - m).sum(1).clamp_min(1.0)  # [B, C]
    cos_f = (z * F.normalize(c_f, dim=-1).unsqueeze(1)).sum(-1)  # [B, Nt]
    cos_b = (z * F.normalize(c_b, dim=-1).unsqueeze(1)).sum(-1)  # [B, Nt]
    # Two-way softmax taken at f is a sigmoid of the difference.
    return ((cos_f - cos_b) / tau).sigmoid()  # [B, Nt]


def temporal_loss(clip: Tensor, mask: Tensor, tau: float = 0.1) -> Tensor:
    """clip z [B, Nt, C], mask m [B, Nt] -> scalar L_t (fp32)."""
    p = foreground_probability(clip, mask, tau)  # [B, Nt]
    return ((p - mask.float()) ** 2).mean()
