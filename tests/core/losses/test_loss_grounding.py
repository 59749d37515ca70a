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


def _masked_reference(S: list[list[float]], tau: float, drop: set[tuple[int, int]]) -> float:
    """L_g by hand with the (video, caption) pairs in `drop` left out of both softmaxes' negatives."""
    B = len(S)
    total = 0.0
    for i in range(B):
        rows = [S[i][j] / tau for j in range(B) if (i, j) not in drop]  # video i vs the kept captions
        cols = [S[j][i] / tau for j in range(B) if (j, i) not in drop]  # caption i vs the kept videos
        total += -S[i][i] / tau + math.log(sum(math.exp(x) for x in rows))
        total += -S[i][i] / tau + math.log(sum(math.exp(x) for x in cols))
    return total / (2 * B)


def test_exclude_partner_drops_the_paste_partner_by_hand() -> None:
    torch.manual_seed(1)
    B, tau = 4, 0.1
    R, N = F.normalize(torch.randn(B, 3, 5), dim=-1), F.normalize(torch.randn(B, 2, 5), dim=-1)  # [B, M, D], [B, K, D]
    S = _reference_scores(R, N, tau)
    partners = {(i, (i + 1) % B) for i in range(B)}  # video i's background shows clip i+1
    want = _masked_reference(S, tau, partners)
    got = grounding_loss(R, N, tau, exclude_partner=True)
    assert abs(got.item() - want) < 1e-5
    assert abs(grounding_loss(R, N, tau).item() - _masked_reference(S, tau, set())) < 1e-5
    assert got.item() < grounding_loss(R, N, tau).item()  # fewer negatives: a smaller loss


def test_default_negatives_are_the_plain_infonce_bitwise() -> None:
    from core.losses.contrastive import info_nce

    torch.manual_seed(3)
    R = F.normalize(torch.randn(4, 3, 5), dim=-1)
    N = F.normalize(torch.randn(4, 2, 5), dim=-1)
    S = grounding_scores(R, N, 0.1)
    assert torch.equal(grounding_loss(R, N, 0.1), info_nce((1 / 0.1) * S, (1 / 0.1) * S.T))


def test_exclude_partner_gradients_skip_the_partner_pair() -> None:
    # The partner's scores get no gradient from its own row; every tensor still gets a finite gradient.
    torch.manual_seed(2)
    B, M, K, D = 3, 2, 2, 4
    R = F.normalize(torch.randn(B, M, D), dim=-1).requires_grad_()
    N = F.normalize(torch.randn(B, K, D), dim=-1).requires_grad_()
    loss = grounding_loss(R, N, 0.1, exclude_partner=True)
    assert loss.shape == () and loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(R.grad).all() and torch.isfinite(N.grad).all()
    assert R.grad.abs().sum() > 0 and N.grad.abs().sum() > 0


def test_partner_mask_under_the_gather() -> None:
    from core.losses.grounding import partner_mask

    # Rank 1 of 2, B = 3: local row i's partner is global column 3 + (i + 1) % 3; its inverse (i - 1) % 3.
    forward = partner_mask(3, 1, 2, 1)
    assert forward.shape == (3, 6)
    assert [row.nonzero().item() for row in forward] == [4, 5, 3]
    assert [row.nonzero().item() for row in partner_mask(3, 1, 2, -1)] == [5, 3, 4]


def test_exclude_partner_needs_a_pair() -> None:
    import pytest

    R = F.normalize(torch.randn(1, 2, 4), dim=-1)
    N = F.normalize(torch.randn(1, 2, 4), dim=-1)
    with pytest.raises(ValueError, match="at least 2"):
        grounding_loss(R, N, 0.1, exclude_partner=True)
