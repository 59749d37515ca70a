"""Grounding scores S_ij and L_g against explicit loops."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.losses import grounding_loss, grounding_scores


def _reference_scores(R: torch.Tensor, N: torch.Tensor, tau: float) -> list[list[float]]:
    B, M, _ = R.shape
    K = N.shape[1]
    S = [[0.0] * B for _ in range(B)]
    for i in range(B):  # video
        for j in range(B):  # caption
            s = 0.0
            for k in range(K):
                sims = [float(N[j, k] @ R[i, m]) for m in range(M)]
                z = sum(math.exp(x / tau) for x in sims)
                s += sum(math.exp(x / tau) / z * x for x in sims)
            S[i][j] = s / K
    return S


def test_scores_and_loss_match_explicit_loops() -> None:
    torch.manual_seed(0)
    B, M, K, D, tau = 3, 4, 2, 6, 0.1
    R = F.normalize(torch.randn(B, M, D), dim=-1)
    N = F.normalize(torch.randn(B, K, D), dim=-1)
    S = _reference_scores(R, N, tau)
    torch.testing.assert_close(grounding_scores(R, N, tau), torch.tensor(S), rtol=1e-5, atol=1e-6)
    total = 0.0
    for i in range(B):
        rows = [S[i][j] / tau for j in range(B)]  # video i vs captions
        cols = [S[j][i] / tau for j in range(B)]  # caption i vs videos
        total += -rows[i] + math.log(sum(math.exp(x) for x in rows))
        total += -cols[i] + math.log(sum(math.exp(x) for x in cols))
    assert abs(grounding_loss(R, N, tau).item() - total / (2 * B)) < 1e-5
    # With the model's logit scale instead of 1/tau.
    scale = torch.tensor(3.0)
    S_t = torch.tensor(S)
    labels = torch.arange(B)
    ref = 0.5 * (F.cross_entropy(3 * S_t, labels) + F.cross_entropy(3 * S_t.T, labels))
    torch.testing.assert_close(grounding_loss(R, N, tau, logit_scale=scale), ref)


def test_a_noun_needs_only_one_matching_region() -> None:
    # Video 0 has the noun's region among unrelated ones; video 1 does not have it at all.
    e = torch.eye(4)
    R = torch.stack([torch.stack([e[0], e[2], e[3]]), torch.stack([e[1], e[2], e[3]])])  # [2, 3, 4]
    N = torch.stack([torch.stack([e[0], e[0]]), torch.stack([e[1], e[1]])])  # [2, 2, 4]
    S = grounding_scores(R, N, 0.1)
    assert S[0, 0] > 0.99 and S[1, 1] > 0.99 and S[0, 1] < 0.01 and S[1, 0] < 0.01
