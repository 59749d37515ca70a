"""Pre-training objective configuration (`LossConfig`): weights, switches, temperatures.

Interplay of the switches:
- `paste=True` (default) builds cut-and-paste clips for every term. The temporal loss needs it
  (its targets are the paste mask), so `w_temporal > 0` with `paste=False` is refused.
- `pool="foreground"` (default) pools the global video embedding u over the pasted clip's
  foreground positions (the caption describes only them); `pool="clip"` pools over all
  positions. Without pasting the whole clip is the foreground, so both agree.
- `grounding_negatives="all"` (default, the paper) uses every other clip of the (gathered) batch
  as L_g's negatives; `"exclude_partner"` drops each clip's paste partner, whose frames fill the
  clip's background (a choice beyond the paper, `core/losses/grounding.py`). It needs `paste=True`.
- `ground_clip="pasted"` (default, the paper) takes L_g's regions from the cut-and-paste clip,
  whose background shows the partner; `"original"` takes them from a second pass of the video
  tower over the un-pasted clip (a choice beyond the paper; about one more video-tower pass per
  step). It needs `paste=True` and `grounding_negatives="all"` (an un-pasted clip has no partner).
- `ground_text_grad=True` (default, the paper) lets L_g's gradient reach the text tower through
  the noun prompts, which share it with the captions; `False` detaches the prompts' embeddings in
  L_g, so grounding trains the video tower only and the text tower learns from L_c alone (a
  choice beyond the paper: the experiment of whether grounding should move the caption path).
- `ground_nce_tau` (default None: `tau_g`) is the temperature of L_g's InfoNCE alone; `tau_g` then
  sets only the noun -> region assignment softmax. `ground_logit_scale=True` instead gives the
  InfoNCE the model's learnable logit scale (shared with L_c). At most one of the two.
- A weight of 0 skips that term's compute: no noun prompts are encoded and no region features
  are built for `w_ground=0`; captions are not encoded for `w_contrast=0`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from core.config import ConfigModel


class LossConfig(ConfigModel):
    """Weights and options of L = w_t * L_t + w_g * L_g + w_c * L_contrast."""

    w_contrast: float = Field(1.0, ge=0)
    w_ground: float = Field(1.0, ge=0)
    w_temporal: float = Field(1.0, ge=0)
    paste: bool = True  # cut-and-paste clips (see the module docstring)
    pool: Literal["foreground", "clip"] = "foreground"  # [choice] temporal pooling of u
    tau_t: float = Field(0.1, gt=0)  # [choice] temporal grouping softmax temperature
    tau_g: float = Field(0.1, gt=0)  # [choice] noun -> region softmax temperature, and L_g's InfoNCE temperature
    # [beyond the paper] "exclude_partner": the paste partner is not one of L_g's negatives (it may show the nouns)
    grounding_negatives: Literal["all", "exclude_partner"] = "all"
    # [beyond the paper] "original": L_g grounds nouns in regions of the un-pasted clip (a second video pass)
    ground_clip: Literal["pasted", "original"] = "pasted"
    # [beyond the paper] False: L_g's gradient stops at the noun embeddings (the text tower learns from L_c only)
    ground_text_grad: bool = True
    # [beyond the paper] L_g's InfoNCE temperature on its own (None: tau_g, which then also sets the
    # noun -> region assignment softmax); separates the two roles that tau_g plays
    ground_nce_tau: float | None = Field(None, gt=0)
    ground_logit_scale: bool = False  # use the model's learnable logit scale for L_g's InfoNCE instead of 1/tau_g
    num_nouns: int = Field(2, ge=1)  # K noun prompts per caption
    text_pooling: Literal["cls", "mean"] | None = None  # None: the model's text.pooling; else overrides it
    precision: Literal["auto", "bf16", "fp32"] = "auto"  # "auto": bf16 autocast on CUDA, fp32 on CPU

    @model_validator(mode="after")
    def _consistent(self) -> LossConfig:
        if self.w_contrast == self.w_ground == self.w_temporal == 0:
            raise ValueError("all loss weights are 0: nothing to train")
        if self.w_temporal > 0 and not self.paste:
            raise ValueError("loss.w_temporal > 0 needs loss.paste=true (its targets are the paste mask)")
        if self.grounding_negatives == "exclude_partner" and not self.paste:
            raise ValueError("loss.grounding_negatives=exclude_partner needs loss.paste=true (no paste, no partner)")
        if self.ground_clip == "original" and not self.paste:
            raise ValueError("loss.ground_clip=original needs loss.paste=true (without pasting every clip is original)")
        if self.ground_clip == "original" and self.grounding_negatives == "exclude_partner":
            raise ValueError("loss.grounding_negatives=exclude_partner does not apply with loss.ground_clip=original "
                             "(an un-pasted clip shows no partner)")
        if self.ground_logit_scale and self.ground_nce_tau is not None:
            raise ValueError("loss.ground_nce_tau and loss.ground_logit_scale=true both set L_g's InfoNCE scale: "
                             "give one")
        return self
