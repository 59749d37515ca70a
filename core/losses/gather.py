"""Autograd-aware all-gather of features across processes.

Shape letters: B per-rank batch, W world size, D feature dim.

Each rank's loss takes its own rows against every rank's columns (labels offset by rank*B).
The backward sums the gradients that all ranks computed for a slot and returns this rank's
slot, so that after the usual gradient averaging over ranks the step equals one process on
the concatenated batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class _AllGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, rank: int, world_size: int) -> Tensor:
        import torch.distributed as dist

        ctx.rank, ctx.batch = rank, x.shape[0]
        parts = [torch.empty_like(x) for _ in range(world_size)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts, dim=0)  # [W*B, ...]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        import torch.distributed as dist

        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        start = ctx.rank * ctx.batch
        return grad[start : start + ctx.batch], None, None


def all_gather_with_grad(x: Tensor, rank: int = 0, world_size: int = 1) -> Tensor:
    """[B, ...] on each rank -> [W*B, ...] in rank order; identity (no torch.distributed) when W == 1.

    Every rank must pass the same B.
    """
    if world_size == 1:
        return x
    return _AllGather.apply(x, rank, world_size)
