"""The pieces of a training step that every recipe shares: endless batches, one optimizer step of
gradient accumulation over the DeepSpeed engine, the gradient norm, torch.compile of the towers,
optimizer groups (weight decay only where it belongs, a lower learning rate for pre-trained towers),
and a thread cap for tiny ops.

Weight decay follows CLIP-style codebases (open_clip, timm): none for parameters with fewer than 2
dimensions (biases, LayerNorm gains, the logit scale) and none for norms, biases, position
embeddings and group tokens whatever their shape: decaying those pulls learned offsets, scales and
positions towards zero for no regularising benefit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from deepspeed import DeepSpeedEngine

    from core.model.svilm import SViLM


def forever(loader: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Batches across epochs: each `iter(loader)` is one epoch from the loader's position.

    One empty pass is normal (a run resumed in an epoch's dropped tail); two in a row mean the
    split holds fewer samples than one batch.
    """
    empty_passes = 0
    while True:
        empty_passes += 1
        for batch in loader:
            empty_passes = 0
            yield batch
        if empty_passes >= 2:
            raise RuntimeError("the training loader yields no batch: the split has fewer samples than one batch")


@dataclass
class StepStats:
    """What one optimizer step measured."""

    outputs: dict[str, float]  # the engine's outputs ("loss", its terms, diagnostics) averaged over micro-batches
    lr: float  # the first optimizer group's rate this step used (a head's, where there is one)
    grad_norm: float
    step_time_s: float
    data_wait_s: float  # of which waiting for batches
    skipped: int  # missing or unreadable clips the batches replaced


def optimizer_step(engine: DeepSpeedEngine, batches: Iterator[dict[str, Any]], accumulation: int,
                   zero_stage: int) -> StepStats:
    """One optimizer step: `accumulation` micro-batches through forward and backward, then the update.

    The engine wraps a module whose forward returns a dict with "loss" (the objective); DeepSpeed
    averages the gradients over the accumulation steps and only updates on the last `engine.step()`.
    """
    t_start = time.perf_counter()
    lr = engine.get_lr()[0]  # the rate this step uses (the scheduler moves after it)
    sums: dict[str, float] = {}
    grad_norm = None
    data_wait, skipped = 0.0, 0
    for micro_step in range(accumulation):
        t_data = time.perf_counter()
        batch = next(batches)
        data_wait += time.perf_counter() - t_data
        if "skipped" in batch:
            skipped += int(batch["skipped"].sum())
        out = engine(batch)
        engine.backward(out["loss"])
        if micro_step == accumulation - 1 and zero_stage == 0:
            grad_norm = measured_grad_norm(engine, 0)  # without ZeRO, DeepSpeed does not keep it
        engine.step()
        for key, value in out.items():
            sums[key] = sums.get(key, 0.0) + float(value.detach()) / accumulation
    if grad_norm is None:
        grad_norm = measured_grad_norm(engine, zero_stage)
    return StepStats(sums, lr, grad_norm, time.perf_counter() - t_start, data_wait, skipped)


def measured_grad_norm(engine: DeepSpeedEngine, zero_stage: int) -> float:
    """The global gradient norm of the step just taken (call after `backward`, before `step`, without
    ZeRO; DeepSpeed keeps it with ZeRO)."""
    if zero_stage == 0:
        grads = [p.grad for p in engine.module.parameters() if p.grad is not None]
        if not grads:
            return 0.0
        return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
    norm = engine.get_global_grad_norm()
    return float(norm) if norm is not None else float("nan")


def compile_towers(model: SViLM) -> None:
    """`torch.compile` both towers of an SViLM in place, before DeepSpeed wraps it.

    `nn.Module.compile` compiles the module's forward and keeps its parameter names, so DeepSpeed's
    flat buffers, checkpoints, resume and exports see the same model as without it. The whole video
    tower (grouping blocks, embeddings and pooling fused too) and the BERT of the text tower
    (`encode` is not `forward`, so the BERT it calls): on an H200, base at 16 frames, micro batch 96,
    24.8% -> 29.1% MFU (BENCHMARKS.md). The first step pays the compilation (77 s for `small` on a
    2-core CPU, where steps then run 1.41x faster).
    """
    model.video.compile()
    model.text.bert.compile()


# Parameter names (lower case) that never get weight decay, whatever their shape.
NO_DECAY_PARTS = ("norm", "bias", "pos_embed", "position_embeddings", "group_tokens", "logit_scale")


def decays(name: str, param: nn.Parameter) -> bool:
    """Whether weight decay applies to parameter `name` (see the module docstring)."""
    return param.ndim >= 2 and not any(part in name.lower() for part in NO_DECAY_PARTS)


def no_decay_names(module: nn.Module) -> list[str]:
    """The trainable parameters of `module` that get no weight decay, in module order."""
    return [n for n, p in module.named_parameters() if p.requires_grad and not decays(n, p)]


def decay_groups(named: list[tuple[str, nn.Parameter]], weight_decay: float, **extra: Any) -> list[dict]:
    """Trainable parameters as two optimizer groups (with and without weight decay); empty ones left out."""
    trainable = [(n, p) for n, p in named if p.requires_grad]
    groups = [{"params": [p for n, p in trainable if decays(n, p)], "weight_decay": weight_decay, **extra},
              {"params": [p for n, p in trainable if not decays(n, p)], "weight_decay": 0.0, **extra}]
    return [g for g in groups if g["params"]]


def parameter_groups(module: nn.Module, lr: float, tower_lr_scale: float, weight_decay: float,
                     head_prefix: str = "head.") -> list[dict]:
    """Trainable parameters as optimizer groups: the head's at `lr`, the towers' at `lr * tower_lr_scale`,
    each split by weight decay (`decay_groups`).

    The head comes first, so the first group's rate (what the logs show) is the head's. Empty
    groups are left out (retrieval fine-tuning has no head).
    """
    named = list(module.named_parameters())
    head = [(n, p) for n, p in named if n.startswith(head_prefix)]
    towers = [(n, p) for n, p in named if not n.startswith(head_prefix)]
    return decay_groups(head, weight_decay, lr=lr) + decay_groups(towers, weight_decay, lr=lr * tower_lr_scale)


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with `count` intra-op threads, then restore the previous number.

    For small tensors (a localization head on cached features): their ops last microseconds, and
    every thread barrier costs far more, above all on a machine whose cores are busy.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
