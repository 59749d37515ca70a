"""Symmetric InfoNCE against a hand-computed small case."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.losses import contrastive_loss


def test_contrastive_matches_explicit_loops() -> None:
    torch.manual_seed(0)
    B, D = 3, 5
    u = F.normalize(torch.randn(B, D), dim=-1)
    w = F.normalize(torch.randn(B, D), dim=-1)
    scale = torch.tensor(7.0)
    total = 0.0
    for i in range(B):  # video i against every caption, then caption i against every video
        v2t = [scale.item() * float(u[i] @ w[j]) for j in range(B)]
        t2v = [scale.item() * float(w[i] @ u[j]) for j in range(B)]
        total += -v2t[i] + math.log(sum(math.exp(x) for x in v2t))
        total += -t2v[i] + math.log(sum(math.exp(x) for x in t2v))
    expected = total / (2 * B)
    assert abs(contrastive_loss(u, w, scale).item() - expected) < 1e-5


def test_contrastive_is_low_for_matched_pairs_and_computed_in_fp32() -> None:
    e = torch.eye(4)
    assert contrastive_loss(e, e, torch.tensor(100.0)).item() < 1e-6
    loss = contrastive_loss(e.bfloat16(), e.bfloat16(), torch.tensor(10.0))
    assert loss.dtype == torch.float32
