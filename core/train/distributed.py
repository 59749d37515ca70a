"""Process-group set-up for one process or many (DeepSpeed's launcher, torchrun, or in process).

The only place that reads and writes the launch variables (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT): DeepSpeed insists on all five, even for one process, or it goes
looking for MPI.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

import torch

from core.train.library_noise import divert_library_logs, library_prints


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def select_accelerator(device_type: str) -> None:
    """Tell DeepSpeed which accelerator to use before it is imported (it guesses, with a warning)."""
    os.environ.setdefault("DS_ACCELERATOR", "cpu" if device_type == "cpu" else "cuda")


def init_distributed(device_type: str) -> DistInfo:
    """Join (or create) the process group; gloo on CPU, NCCL on CUDA. DeepSpeed's expected warnings and
    prints go to the run's log (`core.train.library_noise`), not the terminal."""
    select_accelerator(device_type)
    divert_library_logs()
    import deepspeed

    if "WORLD_SIZE" not in os.environ:  # in process: a group of one
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(free_port()))
    os.environ.setdefault("LOCAL_RANK", os.environ.get("RANK", "0"))
    if not torch.distributed.is_initialized():
        with library_prints("DeepSpeed"):  # "DeepSpeed ...shm_comm_op built successfully"
            deepspeed.init_distributed(dist_backend="gloo" if device_type == "cpu" else "nccl", verbose=False)
    rank = torch.distributed.get_rank()
    world_size = torch.distributed.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    return DistInfo(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank if `flag` is true on any: all ranks stop (and checkpoint) together."""
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() == 1:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=device)
    torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.MAX)
    return bool(tensor.item() > 0)


def gather_objects(value: Any) -> list[Any]:
    """Every rank's `value`, in rank order, on every rank (a list of one without a group)."""
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() == 1:
        return [value]
    gathered: list[Any] = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(gathered, value)
    return gathered


def broadcast_object(value: Any, src: int = 0) -> Any:
    """Rank `src`'s `value` on every rank (`value` itself without a group)."""
    if not torch.distributed.is_initialized() or torch.distributed.get_world_size() == 1:
        return value
    box = [value]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def barrier() -> None:
    if torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1:
        torch.distributed.barrier()


def shutdown() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
