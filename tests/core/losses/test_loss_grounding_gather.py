"""L_g with the paste partner left out of its negatives, under a real 2-process gloo gather.

Partners are per rank (cut-and-paste rolls each rank's own batch), so the two ranks' mean loss must
equal the hand-written InfoNCE on the global batch where global video r*B + i drops caption
r*B + (i+1) mod B, and caption r*B + j drops video r*B + (j-1) mod B.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from core.losses import grounding_loss, grounding_scores

WORLD, B, M, K, D, TAU = 2, 3, 3, 2, 5, 0.1


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(4)
    regions = F.normalize(torch.randn(WORLD * B, M, D, generator=g), dim=-1)  # [W*B, M, D]
    nouns = F.normalize(torch.randn(WORLD * B, K, D, generator=g), dim=-1)  # [W*B, K, D]
    return regions, nouns


def _worker(rank: int, port: int, result_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        regions, nouns = _inputs()
        local = slice(rank * B, (rank + 1) * B)
        loss = grounding_loss(regions[local], nouns[local], TAU, rank, WORLD, exclude_partner=True).detach()
        dist.all_reduce(loss)
        if rank == 0:
            torch.save(loss / WORLD, os.path.join(result_dir, "loss.pt"))
    finally:
        dist.destroy_process_group()


def _reference() -> float:
    regions, nouns = _inputs()
    S = grounding_scores(regions, nouns, TAU).tolist()  # [W*B videos, W*B captions]
    n = WORLD * B

    def partner(i: int) -> int:
        return (i // B) * B + (i % B + 1) % B

    total = 0.0
    for i in range(n):
        rows = [S[i][j] / TAU for j in range(n) if j != partner(i)]  # video i vs captions
        cols = [S[j][i] / TAU for j in range(n) if i != partner(j)]  # caption i vs videos
        total += -S[i][i] / TAU + math.log(sum(math.exp(x) for x in rows))
        total += -S[i][i] / TAU + math.log(sum(math.exp(x) for x in cols))
    return total / (2 * n)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_drop_each_ranks_own_partners() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_worker, args=(_free_port(), tmp), nprocs=WORLD, join=True)
        loss = torch.load(os.path.join(tmp, "loss.pt")).item()
    assert abs(loss - _reference()) < 1e-5
