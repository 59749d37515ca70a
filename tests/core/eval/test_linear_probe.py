"""The linear probe's features: pooled vs time-ordered, and why ordered features exist."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.eval.features import encode_videos
from core.eval.linear_probe import fit_linear, probe_features


def test_auto_features_are_ordered_on_synthetic_data_and_pooled_on_real_data():
    synthetic, real = SimpleNamespace(meta={"synthetic": True}), SimpleNamespace(meta={})
    assert probe_features("auto", synthetic) == "ordered"
    assert probe_features("auto", real) == "pooled"
    assert probe_features("pooled", synthetic) == "pooled"
    assert probe_features("ordered", real) == "ordered"
    with pytest.raises(ValueError, match="probe features"):
        probe_features("mean", real)


class FixedClips:
    """A stand-in video tower: clip features [B, Nt=3, C=2] read from the frames' first pixels."""

    def encode_video(self, frames: torch.Tensor, with_regions: bool = False) -> SimpleNamespace:
        clip = frames[:, :3, 0, 0, :2]  # [B, 3, 2]
        return SimpleNamespace(clip=clip, embedding=clip.sum(1))


def test_encode_videos_keeps_time_order_and_views_apart():
    frames = torch.arange(2 * 2 * 3 * 1 * 1 * 2, dtype=torch.float32).view(2, 2, 3, 1, 1, 2)  # [B, V, T, 3, S, S]
    batch = {"frames": frames, "index": torch.tensor([1, 0]), "valid": torch.tensor([True, True])}
    out = encode_videos(FixedClips(), [batch], torch.device("cpu"), count=2, ordered=True)
    clip = frames[..., 0, 0, :2].numpy()  # [B, V, 3, 2]
    assert out["ordered"].shape == (2, 2, 6) and out["pooled"].shape == (2, 2, 2)
    np.testing.assert_array_equal(out["ordered"][1], clip[0].reshape(2, 6))  # video index 1 is batch row 0
    # video 0 = batch row 1, view 1: frames[1, 1, t, 0, 0, c] = 12 + 6 + 2 t + c, in order t0 (c0, c1), t1, t2
    np.testing.assert_array_equal(out["ordered"][0, 1], [18, 19, 20, 21, 22, 23])
    np.testing.assert_allclose(out["pooled"][0], clip[1].mean(1))
    assert "ordered" not in encode_videos(FixedClips(), [batch], torch.device("cpu"), count=2)


def test_a_motion_and_its_reverse_are_separable_in_order_and_not_when_pooled():
    g = torch.Generator().manual_seed(0)
    start = torch.randn(40, 1, 8, generator=g)  # [N, 1, C]: where 40 objects start
    step = torch.randn(1, 1, 8, generator=g)  # one direction of motion
    paths = start + torch.arange(4.0).view(1, 4, 1) * step  # [N, Nt=4, C]
    clips = torch.cat([paths, paths.flip(1)])  # class 0: the motion, class 1: the same clips played backwards
    labels = torch.cat([torch.zeros(40), torch.ones(40)]).long()

    def train_accuracy(x: torch.Tensor) -> float:
        probe = fit_linear(x, labels, 2, l2=1e-4, max_iter=300)
        return (probe(x).argmax(1) == labels).float().mean().item()

    assert train_accuracy(clips.mean(1)) == pytest.approx(0.5)  # identical pooled features: chance
    assert train_accuracy(clips.flatten(1)) == 1.0
