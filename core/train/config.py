"""`TrainConfig`: one place that derives batch sizes, ZeRO, precision, optimizer and schedule.

Every recipe's `train` section is a `TrainConfig`; `deepspeed_config` turns it into the JSON
DeepSpeed reads, so that no value is ever set twice (the recipe never repeats a batch size or
learning rate in a separate DeepSpeed file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from core.config import ConfigModel, FloatPair
from core.errors import UserError

if TYPE_CHECKING:
    from core.registry import Registry


class TrainConfig(ConfigModel):
    """Optimisation and bookkeeping of one training run."""

    batch_size: int = Field(32, ge=1)  # global batch: micro_batch_size x world_size x accumulation
    micro_batch_size: int | None = Field(None, ge=1)  # per process and step; default: batch_size / world_size
    zero_stage: Literal[0, 1, 2, 3] = 0  # DeepSpeed ZeRO stage
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 on GPU, fp32 on CPU
    lr: float = Field(3e-4, gt=0)  # peak learning rate (AdamW)
    min_lr_ratio: float = Field(0.01, ge=0, le=1)  # cosine decays to lr * min_lr_ratio
    warmup_steps: int = Field(50, ge=0)  # linear warm-up from 0
    max_steps: int = Field(1000, ge=1)  # optimizer steps
    weight_decay: float = 0.05
    betas: FloatPair = (0.9, 0.98)
    eps: float = 1e-6
    grad_clip: float = Field(1.0, ge=0)  # global gradient-norm clip; 0 disables
    save_every: int = Field(200, ge=1)  # checkpoint every N steps (and always at the end)
    keep_last: int = Field(2, ge=1)  # newest K resumable checkpoints kept on disk
    log_every: int = Field(10, ge=1)  # TensorBoard scalars and the registry heartbeat every N steps
    seed: int = 0
    compile: bool = False  # torch.compile the towers (pre-training; on an H200 base went 24.8% -> 29.1% MFU)

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.warmup_steps > self.max_steps:
            raise ValueError("train.warmup_steps must be within [0, train.max_steps]")
        if self.compile and self.zero_stage == 3:
            # ZeRO-3 leaves each parameter an empty placeholder outside its module's gather hooks,
            # and the compiler traces those placeholders (a shape error on the first step).
            raise ValueError("train.compile does not work with train.zero_stage=3; use ZeRO 0-2 or drop compile")
        return self

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


class HeadTrainConfig(TrainConfig):
    """The `train` section of a task-head recipe: the same fields, without `compile`'s switch."""

    @model_validator(mode="after")
    def _no_compile(self) -> HeadTrainConfig:
        if self.compile:
            raise ValueError("train.compile is a pre-training switch; this recipe does not compile its model")
        return self


class RecipeConfig(ConfigModel):
    """What every recipe's config has: a description and a `train` section (each recipe adds its own
    sections), and what the launcher asks of it before a run is registered."""

    description: str = ""
    train: TrainConfig = Field(default_factory=TrainConfig)

    @model_serializer(mode="wrap")
    def _train_last(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Saved configs read like the YAML files: what is trained first, how it is trained last.
        data = serialize(self)
        data["train"] = data.pop("train")
        return data

    def check_ready(self, registry: Registry) -> None:
        """Fail (UserError) before any work if the datasets or weights named are missing; may fill in
        resolved values (a head's `init`), so that the saved config names exactly what the run used."""

    def run_tags(self) -> dict[str, Any]:
        """What reports and lookups group the run by."""
        return {}

    def parent_run(self) -> str | None:
        """The run this one builds on (a task head's pre-training run), or None."""
        return None


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
