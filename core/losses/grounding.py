"""Inter-clip spatial grounding loss L_g: nouns of caption j grounded in regions of video i.

Shape letters: B per-rank batch, W world size, K nouns per caption, M regions, D joint dim.
Video index i, caption index j.

  a_{k,m} = softmax_m(<n_{j,k}, r_{i,m}> / tau_g)
  s_k     = sum_m a_{k,m} <n_{j,k}, r_{i,m}>
  S_ij    = mean_k s_k
Each noun grounds to the regions it matches best; regions no noun matches cost nothing.
L_g is the symmetric InfoNCE on S (other clips' regions are the negatives).
"""

from __future__ import annotations

from torch import Tensor

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


def grounding_loss(
    regions: Tensor,
    nouns: Tensor,
    tau: float = 0.1,
    rank: int = 0,
    world_size: int = 1,
    logit_scale: Tensor | None = None,
) -> Tensor:
    """regions R [B, M, D], nouns n [B, K, D] -> scalar L_g (fp32).

    InfoNCE logits are S / tau, or S * logit_scale when one is given.
    """
    regions, nouns = regions.float(), nouns.float()
    scale = (1.0 / tau) if logit_scale is None else logit_scale.float()
    if world_size == 1:
        S = grounding_scores(regions, nouns, tau)  # [B, B]
        return info_nce(scale * S, scale * S.T, rank)
    all_regions = all_gather_with_grad(regions, rank, world_size)  # [W*B, M, D]
    all_nouns = all_gather_with_grad(nouns, rank, world_size)  # [W*B, K, D]
    S_v = grounding_scores(regions, all_nouns, tau)  # [B, W*B]: local videos vs all captions
    S_t = grounding_scores(all_regions, nouns, tau).T  # [B, W*B]: local captions vs all videos
    return info_nce(scale * S_v, scale * S_t, rank)
