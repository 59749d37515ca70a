"""Layers: tubelet embedding = Conv3d, attention = explicit softmax, position-table interpolation."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.model.layers import Attention, SpaceTimePosEmbed, TubeletEmbed


def test_tubelet_embed_equals_conv3d() -> None:
    torch.manual_seed(0)
    embed = TubeletEmbed(tubelet=2, patch=4, dim=6)
    x = torch.randn(2, 4, 3, 8, 12)  # [B, T, 3, H, W]
    weight = embed.proj.weight.view(6, 3, 2, 4, 4)  # the Linear's (channel, t, y, x) layout
    ref = F.conv3d(x.transpose(1, 2), weight, embed.proj.bias, stride=(2, 4, 4))  # [B, C, Nt, Hp, Wp]
    ref = ref.flatten(3).permute(0, 2, 3, 1)  # [B, Nt, Ns, C]
    torch.testing.assert_close(embed(x), ref, rtol=1e-5, atol=1e-5)


def test_attention_matches_explicit_softmax() -> None:
    torch.manual_seed(0)
    attn = Attention(dim=8, heads=2)
    x = torch.randn(2, 5, 8)
    q, k, v = attn.qkv(x).view(2, 5, 3, 2, 4).permute(2, 0, 3, 1, 4)
    weights = (q @ k.transpose(-1, -2) / 2.0).softmax(-1)  # sqrt(head dim 4) = 2
    ref = attn.proj((weights @ v).transpose(1, 2).reshape(2, 5, 8))
    torch.testing.assert_close(attn(x), ref, rtol=1e-5, atol=1e-5)


def test_pos_embed_native_grid_is_the_tables() -> None:
    pos = SpaceTimePosEmbed(grid_t=2, grid_h=3, grid_w=3, dim=4)
    out = pos(2, 3, 3)
    assert out.shape == (1, 2, 9, 4)
    ref = pos.temporal[:, None, :] + pos.spatial.reshape(1, 9, 4)
    torch.testing.assert_close(out[0], ref)


def test_pos_embed_interpolates_to_other_frame_counts_and_sizes() -> None:
    pos = SpaceTimePosEmbed(grid_t=2, grid_h=4, grid_w=4, dim=3)
    with torch.no_grad():
        pos.temporal.copy_(torch.tensor([[0.0, 0, 0], [1.0, 1, 1]]))
        pos.spatial.fill_(0.5)
    out = pos(4, 6, 2)  # more frames, another (non-square) grid
    assert out.shape == (1, 4, 12, 3)
    # A constant spatial table stays constant; the temporal ramp 0 -> 1 is resampled linearly.
    torch.testing.assert_close(out[0, :, 0, 0] - 0.5, torch.tensor([0.0, 0.25, 0.75, 1.0]))
    torch.testing.assert_close(out[0, 1] - out[0, 1, :1], torch.zeros(12, 3))


def test_video_encoder_runs_at_another_frame_count_and_resolution() -> None:
    from core.model import create_model

    torch.manual_seed(0)
    model = create_model("tiny").eval()
    frames = torch.rand(2, 6, 3, 48, 40)  # tiny is 4 frames at 32 px
    out = model.encode_video(frames)
    assert out.tokens.shape == (2, 6, 6 * 5, 64)
    assert out.assignment.shape == (2, 4, 6 * 30)
