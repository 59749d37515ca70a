"""Two gloo processes give the same loss and gradients as one process on the concatenated batch.

Each rank runs the full `PretrainObjective` on its half; gradients are then averaged over ranks
as DDP/DeepSpeed do. Cut-and-paste and Gumbel noise are off (paste=False, eval mode) so that the
two runs see identical inputs; the temporal loss, per clip, needs no gathering.
"""

from __future__ import annotations

import os
import socket
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from core.losses import LossConfig, PretrainObjective
from core.model import create_model

WORLD = 2
CFG = LossConfig(paste=False, w_temporal=0.0)


def _run(batch: dict, rank: int = 0, world_size: int = 1) -> tuple[float, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    model = create_model("tiny").eval()  # eval: no Gumbel noise; still differentiable
    out = PretrainObjective(model, CFG, rank=rank, world_size=world_size)(batch)
    out["loss"].backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out["loss"].item(), grads


def _slice(batch: dict, rank: int, per_rank: int) -> dict:
    return {k: v[rank * per_rank : (rank + 1) * per_rank] for k, v in batch.items() if torch.is_tensor(v)}


def _worker(rank: int, port: int, batch: dict, result_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        per_rank = batch["frames"].shape[0] // WORLD
        loss, grads = _run(_slice(batch, rank, per_rank), rank, WORLD)
        loss_t = torch.tensor(loss)
        dist.all_reduce(loss_t)
        for g in grads.values():
            dist.all_reduce(g)
            g /= WORLD
        if rank == 0:
            torch.save({"loss": loss_t.item() / WORLD, "grads": grads}, os.path.join(result_dir, "out.pt"))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_match_one_process(make_batch) -> None:
    batch = make_batch(B=6, seed=3)
    ref_loss, ref_grads = _run(batch)
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_worker, args=(_free_port(), batch, tmp), nprocs=WORLD, join=True)
        result = torch.load(os.path.join(tmp, "out.pt"))
    assert abs(result["loss"] - ref_loss) < 1e-5
    assert result["grads"].keys() == ref_grads.keys()
    for name, g in ref_grads.items():
        # Two ranks sum the same float32 terms in another order (half batches, then an all-reduce),
        # so an element near zero can differ by a few float32 ulps of the tensor's large elements:
        # seen 1.6e-6 on one of 2,048 elements whose tensor peaks near 0.1. The tolerance scales with
        # the tensor (1e-5 of its largest magnitude); a real fault (a wrong gather, offset labels, a
        # missing rank's negatives) moves gradients by a large fraction of that magnitude.
        scale = float(g.abs().max())
        torch.testing.assert_close(result["grads"][name], g, rtol=1e-4, atol=max(1e-6, 1e-5 * scale), msg=name)
