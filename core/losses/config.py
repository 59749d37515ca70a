"""Pre-training objective configuration (`LossConfig`): weights, switches, temperatures.

Interplay of the switches:
- `paste=True` (default) builds cut-and-paste clips for every term. The temporal loss needs it
  (its targets are the paste mask), so `w_temporal > 0` with `paste=False` is refused.
- `pool="foreground"` (default) pools the global video embedding u over the pasted clip's
  foreground positions (the caption describes only them); `pool="clip"` pools over all
  positions. Without pasting the whole clip is the foreground, so both agree.
- A weight of 0 skips that term's compute: no noun prompts are encoded and no region features
  are built for `w_ground=0`; captions are not encoded for `w_contrast=0`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import UserError
from core.model.config import from_dict, to_dict


@dataclass
class LossConfig:
    """Weights and options of L = w_t * L_t + w_g * L_g + w_c * L_contrast."""

    w_contrast: float = 1.0
    w_ground: float = 1.0
    w_temporal: float = 1.0
    paste: bool = True  # cut-and-paste clips (see the module docstring)
    pool: str = "foreground"  # [choice] "foreground" or "clip": temporal pooling of u
    tau_t: float = 0.1  # [choice] temporal grouping softmax temperature
    tau_g: float = 0.1  # [choice] noun -> region softmax temperature, and L_g's InfoNCE temperature
    ground_logit_scale: bool = False  # use the model's learnable logit scale for L_g's InfoNCE instead of 1/tau_g
    num_nouns: int = 2  # K noun prompts per caption
    text_pooling: str | None = None  # None: the model's text.pooling; "cls" or "mean" overrides it
    precision: str = "auto"  # "auto": bf16 autocast on CUDA, fp32 on CPU; "bf16"; "fp32"

    def validate(self) -> None:
        """Raise `UserError` on inconsistent settings."""
        for name in ("w_contrast", "w_ground", "w_temporal"):
            if getattr(self, name) < 0:
                raise UserError(f"loss.{name} must be >= 0")
        if self.w_contrast == self.w_ground == self.w_temporal == 0:
            raise UserError("all loss weights are 0: nothing to train")
        if self.w_temporal > 0 and not self.paste:
            raise UserError("loss.w_temporal > 0 needs loss.paste=true (its targets are the paste mask)")
        if self.pool not in ("foreground", "clip"):
            raise UserError(f"loss.pool must be 'foreground' or 'clip', got {self.pool!r}")
        if self.text_pooling not in (None, "cls", "mean"):
            raise UserError(f"loss.text_pooling must be null, 'cls' or 'mean', got {self.text_pooling!r}")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise UserError(f"loss.precision must be 'auto', 'bf16' or 'fp32', got {self.precision!r}")
        if self.tau_t <= 0 or self.tau_g <= 0:
            raise UserError("loss temperatures must be > 0")
        if self.num_nouns < 1:
            raise UserError("loss.num_nouns must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LossConfig:
        return from_dict(cls, data)
