"""Inter-clip spatial grounding loss L_g: nouns of caption j grounded in regions of video i.

Shape letters: B per-rank batch, W world size, K nouns per caption, M regions, D joint dim.
Video index i, caption index j.

  a_{k,m} = softmax_m(<n_{j,k}, r_{i,m}> / tau_g)
  s_k     = sum_m a_{k,m} <n_{j,k}, r_{i,m}>
  S_ij    = mean_k s_k
Each noun grounds to the regions it matches best; regions no noun matches cost nothing.
L_g is the symmetric InfoNCE on S (other clips' regions are the negatives).

Paste partners (`exclude_partner=True`, a choice beyond the paper): cut-and-paste fills clip i's
background with its partner p(i) = (i+1) mod B's frames (B the per-rank batch, `core/data/
cut_and_paste.py`), so the regions of video i can show what caption p(i)'s nouns name: the pair
(video i, caption p(i)) is a likely true match that the plain InfoNCE pushes apart. With the
option that pair leaves both softmaxes' negatives (its logit is -inf): in the video -> caption
direction row i drops caption p(i); in the caption -> video direction row j drops video
p^-1(j) = (j-1) mod B. Partners are within a rank's batch, so under the cross-process gather the
dropped column is rank*B + p(i) (or p^-1(j)).
"""

from __future__ import annotations

import torch
from torch import Tensor

from core.data.cut_and_paste import PARTNER_SHIFT
from core.losses.contrastive import info_nce
from core.losses.gather import all_gather_with_grad


def grounding_scores(regions: Tensor, nouns: Tensor, tau: float) -> Tensor:
    """regions [Bv, M, D], nouns [Bt, K, D] (L2-normalised) -> S [Bv, Bt]."""
    sim = noun_region_similarity(regions, nouns)  # [Bv, Bt, K, M]
    attn = (sim / tau).softmax(dim=-1)  # [Bv, Bt, K, M]
    return (attn * sim).sum(-1).mean(-1)  # [Bv, Bt]


def noun_region_similarity(regions: Tensor, nouns: Tensor) -> Tensor:
    """All noun-region cosines: regions [Bv, M, D], nouns [Bt, K, D] -> [Bv, Bt, K, M]."""
    Bv, M, D = regions.shape
    Bt, K, _ = nouns.shape
    # One [Bt*K, D] x [D, Bv*M] matmul instead of an einsum with batch axes.
    sim = nouns.reshape(Bt * K, D) @ regions.reshape(Bv * M, D).T  # [Bt*K, Bv*M]
    return sim.view(Bt, K, Bv, M).permute(2, 0, 1, 3)  # [Bv, Bt, K, M]


def partner_mask(batch: int, rank: int, world_size: int, shift: int, device: torch.device | None = None) -> Tensor:
    """bool [B, W*B]: True at row i, column rank*B + (i + shift) mod B (a local row's paste partner)."""
    rows = torch.arange(batch, device=device)  # [B]
    mask = torch.zeros(batch, world_size * batch, dtype=torch.bool, device=device)  # [B, W*B]
    mask[rows, rank * batch + (rows + shift) % batch] = True
    return mask


def grounding_loss(
    regions: Tensor,
    nouns: Tensor,
    tau: float = 0.1,
    rank: int = 0,
    world_size: int = 1,
    logit_scale: Tensor | None = None,
    exclude_partner: bool = False,
    nce_tau: float | None = None,
) -> Tensor:
    """regions R [B, M, D], nouns n [B, K, D] -> scalar L_g (fp32).

    `tau` is the noun -> region assignment temperature. InfoNCE logits are S / tau, S / nce_tau
    when that is given, or S * logit_scale when one is given. `exclude_partner` drops each clip's
    paste partner from its negatives (module docstring); it needs B >= 2.
    """
    regions, nouns = regions.float(), nouns.float()
    scale = (1.0 / (nce_tau or tau)) if logit_scale is None else logit_scale.float()
    if world_size == 1:
        S_v = grounding_scores(regions, nouns, tau)  # [B, B]
        S_t = S_v.T  # [B, B]
    else:
        all_regions = all_gather_with_grad(regions, rank, world_size)  # [W*B, M, D]
        all_nouns = all_gather_with_grad(nouns, rank, world_size)  # [W*B, K, D]
        S_v = grounding_scores(regions, all_nouns, tau)  # [B, W*B]: local videos vs all captions
        S_t = grounding_scores(all_regions, nouns, tau).T  # [B, W*B]: local captions vs all videos
    logits_v, logits_t = scale * S_v, scale * S_t  # [B, W*B]
    if exclude_partner:
        B = regions.shape[0]
        if B < 2:
            raise ValueError("grounding_negatives=exclude_partner needs a batch of at least 2 clips")
        logits_v = logits_v.masked_fill(partner_mask(B, rank, world_size, PARTNER_SHIFT, S_v.device), float("-inf"))
        logits_t = logits_t.masked_fill(partner_mask(B, rank, world_size, -PARTNER_SHIFT, S_t.device), float("-inf"))
    return info_nce(logits_v, logits_t, rank)
