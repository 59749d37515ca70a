"""Global video-text contrastive loss: symmetric InfoNCE with a learnable logit scale.

Shape letters: B per-rank batch, W world size, D joint embedding dim.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from core.losses.gather import all_gather_with_grad


def info_nce(logits_a: Tensor, logits_b: Tensor, rank: int = 0) -> Tensor:
    """Mean of the two cross-entropies; row i's positive is column rank*B + i.

    logits_a [B, W*B] (a's rows against all of b), logits_b [B, W*B] (b's rows against all of a).
    """
    B = logits_a.shape[0]
    labels = torch.arange(B, device=logits_a.device) + rank * B  # [B]
    return 0.5 * (F.cross_entropy(logits_a, labels) + F.cross_entropy(logits_b, labels))


def contrastive_loss(video: Tensor, text: Tensor, logit_scale: Tensor, rank: int = 0, world_size: int = 1) -> Tensor:
    """video u [B, D], text w [B, D] (L2-normalised), logit_scale scalar -> scalar loss.

    Computed in fp32 whatever the inputs' dtype.
    """
    video, text, logit_scale = video.float(), text.float(), logit_scale.float()
    all_video = all_gather_with_grad(video, rank, world_size)  # [W*B, D]
    all_text = all_gather_with_grad(text, rank, world_size)  # [W*B, D]
    logits_v = logit_scale * video @ all_text.T  # [B, W*B]
    logits_t = logit_scale * text @ all_video.T  # [B, W*B]
    return info_nce(logits_v, logits_t, rank)
