"""Cut-and-paste: frames and mask follow the generator's draws; whole tubelets; dtypes kept."""

from __future__ import annotations

import math

import pytest
import torch

from core.data.cut_and_paste import cut_and_paste


def _frames(B: int, T: int, dtype: torch.dtype = torch.uint8) -> torch.Tensor:
    # Frame t of sample i is filled with the value 10*i + t, so every frame says where it came from.
    ids = 10 * torch.arange(B)[:, None] + torch.arange(T)[None, :]  # [B, T]
    return ids[:, :, None, None, None].expand(B, T, 3, 4, 4).to(dtype).contiguous()


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_frames_and_mask_follow_the_generator_draws(dtype: torch.dtype) -> None:
    B, T, tubelet = 5, 16, 2
    nt = T // tubelet
    frames = _frames(B, T, dtype)
    pasted, mask = cut_and_paste(frames, tubelet, torch.Generator().manual_seed(7))
    assert pasted.dtype == dtype and pasted.shape == frames.shape
    assert mask.shape == (B, nt) and mask.dtype == torch.float32

    # Replay the documented draws.
    g = torch.Generator().manual_seed(7)
    lo, hi = math.ceil(nt / 4), min(math.ceil(3 * nt / 4), nt - 1)
    d = torch.randint(lo, hi + 1, (B,), generator=g)
    s = (torch.rand(B, generator=g) * (nt - d + 1)).floor().long()
    for i in range(B):
        j = (i + 1) % B
        for t in range(nt):
            fg = s[i] <= t < s[i] + d[i]
            assert mask[i, t] == float(fg)
            source = i if fg else j
            for f in range(t * tubelet, (t + 1) * tubelet):
                assert pasted[i, f, 0, 0, 0].item() == 10 * source + f
        assert 1 <= mask[i].sum() <= nt - 1  # some foreground, some background


def test_span_bounds_over_many_draws() -> None:
    B, nt = 64, 8
    _, mask = cut_and_paste(torch.zeros(B, 2 * nt, 3, 2, 2), 2, torch.Generator().manual_seed(0))
    lengths = mask.sum(1)
    assert lengths.min() >= 2 and lengths.max() <= 6  # ceil(8/4) .. ceil(3*8/4)
    # Contiguous span: exactly one rising edge per row.
    edges = (mask[:, 1:] - mask[:, :-1]).clamp(min=0).sum(1) + mask[:, 0]
    assert torch.all(edges == 1)


def test_global_rng_when_no_generator() -> None:
    frames = _frames(3, 8)
    torch.manual_seed(3)
    a = cut_and_paste(frames, 2)
    torch.manual_seed(3)
    b = cut_and_paste(frames, 2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_refuses_a_single_clip_and_partial_tubelets() -> None:
    with pytest.raises(ValueError):
        cut_and_paste(_frames(1, 8), 2)
    with pytest.raises(ValueError):
        cut_and_paste(_frames(2, 7), 2)
    with pytest.raises(ValueError):
        cut_and_paste(_frames(2, 2), 2)  # Nt = 1 leaves no room for a background
