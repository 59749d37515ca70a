"""Small pieces the task-head recipes share with pre-training's loop, so each recipe stays a short,
explicit top-to-bottom loop: endless batches, the gradient norm, registered checkpoints, the final
export, and optimizer groups with a lower learning rate for pre-trained towers.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn


def forever(loader: Any) -> Iterator[dict[str, Any]]:
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


def measured_grad_norm(engine: Any, zero_stage: int) -> float:
    """The global gradient norm of the step just taken (call after `backward`, before `step`, without
    ZeRO; DeepSpeed keeps it with ZeRO)."""
    if zero_stage == 0:
        grads = [p.grad for p in engine.module.parameters() if p.grad is not None]
        if not grads:
            return 0.0
        return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
    norm = engine.get_global_grad_norm()
    return float(norm) if norm is not None else float("nan")


def finite(value: float) -> bool:
    return math.isfinite(value)


def save_registered(checkpoints: Any, registry: Any, run_id: str, step: int, client_state: dict[str, Any],
                    keep_last: int, is_main: bool, logger: Any) -> None:
    """A collective checkpoint; rank 0 registers it once complete and prunes the oldest."""
    t0 = time.perf_counter()
    saved = checkpoints.save(step, client_state)
    if not is_main or saved is None:
        return
    registry.add_checkpoint(run_id=run_id, tag=saved.tag, step=step, path=str(saved.path), kind="deepspeed",
                            complete=True, bytes=saved.bytes)
    complete = registry.list_checkpoints(run_id, kind="deepspeed", complete_only=True)
    old, kept = complete[:-keep_last], complete[-keep_last:]
    registry.remove_checkpoints([c.id for c in old])
    checkpoints.prune([Path(c.path) for c in kept])
    logger.info("checkpoint %s (%.1f MB) in %.2f s", saved.tag, saved.bytes / 1e6, time.perf_counter() - t0)


def export_weights(engine: Any, zero_stage: int, registry: Any, run_id: str, run_dir: Path, step: int,
                   config: dict[str, Any], strip: str = "") -> Path:
    """Rank 0: consolidated fp32 weights (names without `strip`) + `config` -> `<run dir>/export`, registered."""
    from core.train.export import consolidated_state_dict, write_export

    final = registry.newest_checkpoint(run_id)
    state = consolidated_state_dict(engine, zero_stage, Path(final.path) if final else None)
    if strip:
        state = {k.removeprefix(strip): v for k, v in state.items()}
    export_dir = run_dir / "export"
    size = write_export(state, config, export_dir)
    registry.add_checkpoint(run_id=run_id, tag="export", step=step, path=str(export_dir), kind="export",
                            complete=True, bytes=size)
    return export_dir


def compile_towers(model: nn.Module) -> None:
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


def parameter_groups(module: nn.Module, lr: float, tower_lr_scale: float, head_prefix: str = "head.") -> list[dict]:
    """Trainable parameters as optimizer groups: the head's at `lr`, the towers' at `lr * tower_lr_scale`.

    The head comes first, so the first group's rate (what the logs show) is the head's. Empty
    groups are left out (retrieval fine-tuning has no head).
    """
    head = [p for n, p in module.named_parameters() if p.requires_grad and n.startswith(head_prefix)]
    towers = [p for n, p in module.named_parameters() if p.requires_grad and not n.startswith(head_prefix)]
    groups = [{"params": head, "lr": lr}, {"params": towers, "lr": lr * tower_lr_scale}]
    return [g for g in groups if g["params"]]


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
