"""Grouping block (after GroupViT): group tokens gather the video tokens assigned to them.

Shape letters: B batch, M group tokens, L video tokens (Nt * Ns), C width.

The block only updates the group tokens; the video tokens pass through unchanged because the
temporal loss and the downstream tasks need per-token features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.model.layers import Mlp


def hard_assign(logits: Tensor, dim: int, training: bool, gumbel: bool = True, tau: float = 1.0) -> Tensor:
    """Straight-through one-hot assignment along `dim`.

    Forward value: one-hot of argmax (after Gumbel noise in training); gradient: that of the
    softmax, through `hard - soft.detach() + soft`. Eval uses plain argmax in the same form, so
    train and eval differ only in the noise.
    """
    if training and gumbel:
        # Gumbel(0, 1) noise: -log(Exp(1)).
        noise = -torch.empty_like(logits).exponential_().log()
        logits = (logits + noise) / tau
    soft = logits.softmax(dim)
    index = soft.argmax(dim, keepdim=True)
    hard = torch.zeros_like(soft).scatter_(dim, index, 1.0)
    return hard - soft.detach() + soft


class GroupCrossAttention(nn.Module):
    """Multi-head attention of M group queries over L video tokens, projections on the query side.

    Equal to standard cross-attention with keys W_k x and values W_v x + b_v, but since M << L
    the projections are applied to the M queries (and to the M pooled outputs) instead of the L
    tokens, so no C x C matmul runs over the tokens:
      <q_h, W_k,h x> = <W_k,h^T q_h, x>   (one C-dim query per head and group)
      sum_l a_hl (W_v,h x_l + b_v,h) = W_v,h (sum_l a_hl x_l) + b_v,h   (attention rows sum to 1)
    The key projection has no bias: it would add a per-query constant that the softmax removes.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, groups: Tensor, tokens: Tensor) -> Tensor:
        """groups [B, M, C], tokens [B, L, C] -> [B, M, C]."""
        B, M, C = groups.shape
        h, d = self.heads, C // self.heads
        q = self.q(groups).view(B, M, h, d)  # [B, M, h, d]
        q = torch.einsum("bmhd,hdc->bhmc", q, self.k.weight.view(h, d, C))  # [B, h, M, C]
        # All heads share the keys/values (the raw tokens): fold heads into the query axis.
        ctx = F.scaled_dot_product_attention(
            q.reshape(B, 1, h * M, C), tokens.unsqueeze(1), tokens.unsqueeze(1), scale=d**-0.5
        ).view(B, h, M, C)  # [B, h, M, C]: per-head weighted means of the tokens
        out = torch.einsum("bhmc,hdc->bmhd", ctx, self.v.weight.view(h, d, C)).reshape(B, M, C)  # [B, M, C]
        return self.proj(out + self.v.bias)  # [B, M, C]


class AssignAttention(nn.Module):
    """Single-head attention whose softmax runs over the GROUP axis, made hard (straight-through).

    Each video token picks one group; each group's output is the mean of its tokens' values,
    normalised by (tokens assigned + 1) so that an empty group outputs zero.
    """

    def __init__(self, dim: int, gumbel: bool = True, tau: float = 1.0) -> None:
        super().__init__()
        self.scale = dim**-0.5
        self.gumbel = gumbel
        self.tau = tau
        # No query bias: <b_q, k_l> is the same for every group, and the softmax over groups
        # removes it (the key bias does matter here: <q_m, b_k> differs between groups).
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, groups: Tensor, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """groups [B, M, C], tokens [B, L, C] -> (out [B, M, C], assignment [B, M, L]).

        Same result as projecting the tokens to keys and values, but the key and value
        projections are moved onto the M group rows (M << L), which removes two of the block's
        four token-side C x C matmuls:
          <q, W_k x + b_k> = <W_k^T q, x> + <q, b_k>
          weights @ (x W_v^T + b_v) = (weights @ x) W_v^T + rowsum(weights) b_v
        """
        q = self.q(groups)  # [B, M, C]
        logits = (q @ self.k.weight) @ tokens.transpose(1, 2) + (q @ self.k.bias).unsqueeze(-1)  # [B, M, L]
        assign = hard_assign(logits * self.scale, dim=1, training=self.training, gumbel=self.gumbel, tau=self.tau)
        # Row sums equal the number of tokens in each group in the forward pass.
        weights = assign / (assign.sum(dim=-1, keepdim=True) + 1)  # [B, M, L]
        pooled = weights @ tokens  # [B, M, C]
        values = F.linear(pooled, self.v.weight) + weights.sum(-1, keepdim=True) * self.v.bias  # [B, M, C]
        return self.proj(values), assign


class GroupingBlock(nn.Module):
    """Update M group tokens from the video tokens in five steps.

    1. LayerNorm group tokens and video tokens (separate norms).
    2. Token-mixing MLP over the group axis (M -> M), then a LayerNorm.
    3. Cross-attention of groups over video tokens with residual, then MLP with residual.
    4. Hard assignment attention; its output is added to the step-3 groups.
    5. Output MLP with residual.
    """

    def __init__(
        self, dim: int, num_groups: int, heads: int, mlp_ratio: float = 4.0, gumbel: bool = True, tau: float = 1.0
    ) -> None:
        super().__init__()
        self.norm_groups = nn.LayerNorm(dim)
        self.norm_tokens = nn.LayerNorm(dim)
        # GroupViT's token-mixing width: half the channel width. No output bias: it would add a
        # per-group constant across channels, which the LayerNorm after it removes.
        self.mix = Mlp(num_groups, max(1, dim // 2), num_groups, out_bias=False)
        self.norm_mixed = nn.LayerNorm(dim)
        self.norm_q = nn.LayerNorm(dim)
        self.cross_attn = GroupCrossAttention(dim, heads)
        self.norm_cross = nn.LayerNorm(dim)
        self.cross_mlp = Mlp(dim, int(dim * mlp_ratio))
        self.assign = AssignAttention(dim, gumbel=gumbel, tau=tau)
        self.norm_out = nn.LayerNorm(dim)
        self.out_mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, tokens: Tensor, groups: Tensor) -> tuple[Tensor, Tensor]:
        """tokens [B, L, C], groups [B, M, C] -> (new groups [B, M, C], assignment [B, M, L])."""
        groups = self.norm_groups(groups)  # [B, M, C]
        tokens = self.norm_tokens(tokens)  # [B, L, C]
        q = self.norm_mixed(self.mix(groups.transpose(1, 2)).transpose(1, 2))  # [B, M, C]
        q = q + self.cross_attn(self.norm_q(q), tokens)  # [B, M, C]
        q = q + self.cross_mlp(self.norm_cross(q))  # [B, M, C]
        assigned, assign = self.assign(q, tokens)  # [B, M, C], [B, M, L]
        out = assigned + q  # [B, M, C]
        out = out + self.out_mlp(self.norm_out(out))  # [B, M, C]
        return out, assign
