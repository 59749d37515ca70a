"""Cut-and-paste: build clips whose middle span comes from one video and the rest from another.

Shape letters: B batch, T frames, H/W pixels, Nt = T / tubelet temporal positions.

Sample i keeps its own frames on a foreground span of temporal positions [s, s+d) and takes
its partner j = (i+1) mod B's frames elsewhere; its caption describes the foreground. Spans
are whole tubelets, so every encoder token sees frames of a single source video.

Random draws, in this order, from `generator` (the global RNG when None):
  d = torch.randint(ceil(Nt/4), hi + 1, (B,))   with hi = min(ceil(3Nt/4), Nt - 1)
  s = floor(torch.rand(B) * (Nt - d + 1))
`hi <= Nt - 1` keeps at least one background position.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

PARTNER_SHIFT = 1  # sample i's background comes from sample (i + PARTNER_SHIFT) mod B


def sample_spans(batch: int, nt: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Foreground start and length per sample -> (s [B], d [B]) on the generator's device."""
    if nt < 2:
        raise ValueError(f"cut-and-paste needs at least 2 temporal positions, got Nt={nt}")
    lo = math.ceil(nt / 4)
    hi = min(math.ceil(3 * nt / 4), nt - 1)
    device = generator.device if generator is not None else torch.device("cpu")
    d = torch.randint(lo, hi + 1, (batch,), generator=generator, device=device)  # [B]
    s = (torch.rand(batch, generator=generator, device=device) * (nt - d + 1)).floor().long()  # [B]
    return s, d


def cut_and_paste(frames: Tensor, tubelet: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """frames [B, T, 3, H, W] (uint8 or float) -> (pasted [B, T, 3, H, W], mask [B, Nt] float 0/1).

    mask[i, t] = 1 where position t shows sample i's own frames (the foreground).
    """
    B, T = frames.shape[:2]
    if B < 2:
        raise ValueError("cut-and-paste needs a batch of at least 2 clips (each takes its partner's frames)")
    if T % tubelet:
        raise ValueError(f"{T} frames are not a whole number of {tubelet}-frame tubelets")
    nt = T // tubelet
    s, d = sample_spans(B, nt, generator)
    s, d = s.to(frames.device), d.to(frames.device)
    t = torch.arange(nt, device=frames.device)  # [Nt]
    mask = (t >= s[:, None]) & (t < (s + d)[:, None])  # [B, Nt]
    keep = mask.repeat_interleave(tubelet, dim=1)[:, :, None, None, None]  # [B, T, 1, 1, 1]
    partner = frames.roll(shifts=-PARTNER_SHIFT, dims=0)  # row i holds sample (i+1) mod B
    pasted = torch.where(keep, frames, partner)  # [B, T, 3, H, W]
    return pasted, mask.float()
