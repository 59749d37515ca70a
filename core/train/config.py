"""`TrainConfig`: one place that derives batch sizes, ZeRO, precision, optimizer and schedule.

Every recipe's `train` section is a `TrainConfig`; `deepspeed_config` turns it into the JSON
DeepSpeed reads, so that no value is ever set twice (the recipe never repeats a batch size or
learning rate in a separate DeepSpeed file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import UserError


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping of one training run."""

    batch_size: int = 32  # global batch: micro_batch_size x world_size x accumulation
    micro_batch_size: int | None = None  # per process and step; default: batch_size / world_size
    zero_stage: int = 0  # DeepSpeed ZeRO stage 0-3
    precision: str = "auto"  # auto: bf16 on GPU, fp32 on CPU; or fp32 / bf16
    lr: float = 3e-4  # peak learning rate (AdamW)
    min_lr_ratio: float = 0.01  # cosine decays to lr * min_lr_ratio
    warmup_steps: int = 50  # linear warm-up from 0
    max_steps: int = 1000  # optimizer steps
    weight_decay: float = 0.05
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-6
    grad_clip: float = 1.0  # global gradient-norm clip; 0 disables
    save_every: int = 200  # checkpoint every N steps (and always at the end)
    keep_last: int = 2  # newest K resumable checkpoints kept on disk
    log_every: int = 10  # TensorBoard scalars and the registry heartbeat every N steps
    seed: int = 0
    compile: bool = False  # torch.compile the towers (pre-training; on an H200 base went 24.8% -> 29.1% MFU)

    def validate(self, can_compile: bool = True) -> None:
        """`can_compile`: whether the recipe honours `compile` (a recipe that does not refuses it)."""
        if self.batch_size < 1:
            raise UserError("train.batch_size must be >= 1")
        if self.micro_batch_size is not None and self.micro_batch_size < 1:
            raise UserError("train.micro_batch_size must be >= 1")
        if self.zero_stage not in (0, 1, 2, 3):
            raise UserError(f"train.zero_stage must be 0, 1, 2 or 3, got {self.zero_stage}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise UserError(f"train.precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.lr <= 0:
            raise UserError("train.lr must be > 0")
        if not 0 <= self.min_lr_ratio <= 1:
            raise UserError("train.min_lr_ratio must be within [0, 1]")
        if self.max_steps < 1:
            raise UserError("train.max_steps must be >= 1")
        if not 0 <= self.warmup_steps <= self.max_steps:
            raise UserError("train.warmup_steps must be within [0, train.max_steps]")
        if self.save_every < 1 or self.log_every < 1 or self.keep_last < 1:
            raise UserError("train.save_every, train.log_every and train.keep_last must be >= 1")
        if self.grad_clip < 0:
            raise UserError("train.grad_clip must be >= 0")
        if self.compile and not can_compile:
            raise UserError("train.compile is a pre-training switch; this recipe does not compile its model")
        if self.compile and self.zero_stage == 3:
            # ZeRO-3 leaves each parameter an empty placeholder outside its module's gather hooks,
            # and the compiler traces those placeholders (a shape error on the first step).
            raise UserError("train.compile does not work with train.zero_stage=3; use ZeRO 0-2 or drop compile")

    def batch_layout(self, world_size: int) -> tuple[int, int]:
        """(micro batch per process, gradient accumulation steps) for `world_size` processes."""
        micro = self.micro_batch_size or self.batch_size // world_size
        if micro < 1 or self.batch_size % (micro * world_size):
            raise UserError(
                f"train.batch_size={self.batch_size} is not a multiple of micro batch {micro} x "
                f"{world_size} processes"
            )
        return micro, self.batch_size // (micro * world_size)

    def resolved_precision(self, device_type: str) -> str:
        if self.precision == "auto":
            return "bf16" if device_type == "cuda" else "fp32"
        return self.precision


def deepspeed_config(train: TrainConfig, world_size: int, device_type: str) -> dict[str, Any]:
    """The DeepSpeed JSON for `train` on `world_size` processes of `device_type` (cpu or cuda)."""
    micro, accumulation = train.batch_layout(world_size)
    precision = train.resolved_precision(device_type)
    config: dict[str, Any] = {
        "train_batch_size": train.batch_size,
        "train_micro_batch_size_per_gpu": micro,
        "gradient_accumulation_steps": accumulation,
        "gradient_clipping": train.grad_clip,
        "steps_per_print": 10**9,  # progress is ours (rich + TensorBoard), not DeepSpeed's prints
        "wall_clock_breakdown": False,
        "optimizer": {
            "type": "AdamW",
            "params": {
                "lr": train.lr, "betas": list(train.betas), "eps": train.eps, "weight_decay": train.weight_decay,
                # torch's AdamW: no C++ build on CPU; on CUDA torch picks its fused/foreach kernels.
                "torch_adam": True, "adam_w_mode": True,
            },
        },
        "scheduler": {
            "type": "WarmupCosineLR",
            "params": {
                "total_num_steps": train.max_steps,
                "warmup_num_steps": train.warmup_steps,
                "warmup_min_ratio": 0.0,
                "warmup_type": "linear",
                "cos_min_ratio": train.min_lr_ratio,
            },
        },
        "zero_optimization": {"stage": train.zero_stage},
        "bf16": {"enabled": precision == "bf16"},
        "fp16": {"enabled": False},
    }
    return config
