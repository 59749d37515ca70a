"""Temporal grouping loss: near 0 for separated clip features, large when features and mask disagree."""

from __future__ import annotations

import torch

from core.losses import foreground_probability, temporal_loss


def _clip(pattern: list[list[int]]) -> torch.Tensor:
    """Clip features [B, Nt, C]: position t gets basis direction pattern[b][t], at random lengths."""
    e = torch.eye(8)
    clip = torch.stack([torch.stack([e[k] for k in row]) for row in pattern])  # [B, Nt, C]
    return clip * torch.rand(clip.shape[0], clip.shape[1], 1).add(0.5)  # the loss normalises: scale must not matter


def test_separated_features_give_near_zero_loss() -> None:
    mask = torch.tensor([[0.0, 1, 1, 0, 0], [1, 1, 0, 0, 0]])  # [B, Nt]
    clip = _clip([[1, 0, 0, 1, 1], [0, 0, 1, 1, 1]])  # foreground = direction 0, background = direction 1
    assert temporal_loss(clip, mask, 0.1).item() < 1e-6


def test_swapped_features_give_a_large_loss() -> None:
    mask = torch.tensor([[1.0, 1, 0, 0]])
    # One foreground and one background position swap their features: the centres coincide
    # and every p is 1/2, the loss of a blind guess (0.25), far above the ~0 of a correct grouping.
    crossed = temporal_loss(_clip([[0, 1, 0, 1]]), mask, 0.1).item()
    assert abs(crossed - 0.25) < 1e-6
    # A foreground position that looks exactly like the background is classified as background.
    mask = torch.tensor([[1.0, 1, 1, 0, 0, 0]])
    p = foreground_probability(_clip([[1, 0, 0, 1, 1, 1]]), mask, 0.1)
    assert p[0, 0] < 0.01 and p[0, 1:3].min() > 0.99 and p[0, 3:].max() < 0.01


def test_probability_is_the_two_way_softmax() -> None:
    torch.manual_seed(0)
    clip = torch.randn(2, 4, 6)
    mask = torch.tensor([[1.0, 0, 0, 1], [0, 1, 1, 1]])
    p = foreground_probability(clip, mask, 0.2)
    z = torch.nn.functional.normalize(clip, dim=-1)
    for b in range(2):
        m = mask[b].bool()
        c_f, c_b = z[b][m].mean(0), z[b][~m].mean(0)
        for t in range(4):
            cf = torch.cosine_similarity(z[b, t], c_f, dim=0) / 0.2
            cb = torch.cosine_similarity(z[b, t], c_b, dim=0) / 0.2
            ref = torch.stack([cf, cb]).softmax(0)[0]
            torch.testing.assert_close(p[b, t], ref, rtol=1e-5, atol=1e-6)
