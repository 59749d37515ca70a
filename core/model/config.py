"""Model configuration: typed pydantic models with defaults and a dict/JSON round trip.

Configs are saved beside exported weights (`config.json`) and in every run's `config.yaml`, so
every field survives `to_dict` -> JSON -> `ModelConfig.from_dict`. A config may name its
`preset` (`core.model.presets`): the preset's tree is laid under the given keys before
validation, so `{"preset": "small", "video": {"depth": 6}}` is the small model with 6 layers, and
a saved, fully expanded config validates back to itself. Unknown keys and wrong types raise
`core.errors.UserError` naming the key (they come from user files and overrides).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, model_validator

from core.config import ConfigModel, FloatTriple, IntTuple, apply_overrides, validate_config
from core.errors import UserError


class VideoConfig(ConfigModel):
    """Video tower E_v: a ViT over tubelets with group tokens and grouping blocks.

    With `pretrained` (a 2D ViT: a `transformers` folder, a timm-format state-dict file or a hub id,
    see `core.model.vit_checkpoint`), width, depth, heads, patch, mlp_ratio, norm_eps, mean and std
    are the checkpoint's (`core.model.initialization.resolve_model_config` fills them in).
    """

    pretrained: str | None = None  # a 2D ViT to start from (None: random initialisation)
    inflate: Literal["center", "average"] = "average"  # how the 2D patch kernel spreads over a tubelet's frames
    num_frames: int = 8  # T at pre-training; other counts work (position tables interpolate)
    image_size: int = 64  # H = W at pre-training
    tubelet: int = 2  # frames per tubelet -> Nt = T / tubelet
    patch: int = 8  # pixels per patch side -> Ns = (H / patch) * (W / patch)
    width: int = 128  # C
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0
    num_groups: int = 8  # M
    grouping_after: IntTuple = (2, 4)  # 1-based layer indices followed by a grouping block
    gumbel: bool = True  # Gumbel noise (tau = 1) on the assignment logits in training
    gumbel_tau: float = 1.0
    norm_eps: float = Field(1e-5, gt=0)  # LayerNorm eps of the transformer blocks and the final norm
    # Pixel normalisation after scaling to [0, 1] (CLIP's statistics; a checkpoint's own when pretrained).
    mean: FloatTriple = (0.48145466, 0.4578275, 0.40821073)
    std: FloatTriple = (0.26862954, 0.26130258, 0.27577711)
    grad_checkpointing: bool = False

    @model_validator(mode="after")
    def _buildable(self) -> VideoConfig:
        if self.num_frames % self.tubelet:
            raise ValueError(f"video.num_frames={self.num_frames} is not a multiple of video.tubelet={self.tubelet}")
        if self.image_size % self.patch:
            raise ValueError(f"video.image_size={self.image_size} is not a multiple of video.patch={self.patch}")
        if self.width % self.heads:
            raise ValueError(f"video.width={self.width} is not divisible by video.heads={self.heads}")
        if not self.grouping_after:
            raise ValueError("video.grouping_after must name at least one layer")
        bad = [i for i in self.grouping_after if not 1 <= i <= self.depth]
        if bad or len(set(self.grouping_after)) != len(self.grouping_after):
            raise ValueError(f"video.grouping_after={list(self.grouping_after)} must be distinct layers in 1..{self.depth}")
        if self.num_groups < 1:
            raise ValueError("video.num_groups must be >= 1")
        return self


class TextConfig(ConfigModel):
    """Text tower E_t: a Hugging Face BertModel, scratch-built or loaded from a local directory."""

    # None: build from the fields below; "minilm": the packaged all-MiniLM-L6-v2; a local directory;
    # or a Hugging Face hub id, resolved through the local HF cache (downloaded when online).
    pretrained: str | None = None
    # Tokenizer: "minilm" (the package's bert-base-uncased vocab, 30522 entries), a directory or a hub
    # id. None: the pretrained model's own, or "minilm" for a scratch tower (filled in on validation).
    tokenizer: str | None = None
    vocab_size: int = 30522
    width: int = 128
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 512
    max_positions: int = 64  # position table of a scratch tower
    pooling: Literal["cls", "mean"] = "cls"  # [choice] CLS token or masked mean over tokens
    # Hidden and attention dropout, applied to pretrained towers too (contrastive towers train
    # without it, as CLIP does; it also keeps SDPA on its fused kernels).
    dropout: float = 0.0
    frozen_layers: int = 0  # freeze the embeddings and the first n layers (n > 0); -1 freezes all layers
    caption_len: int = 32  # tokens per caption (padding/truncation by the data pipeline)
    prompt_len: int = 16  # tokens per noun prompt "A photo of a {noun}."
    grad_checkpointing: bool = False

    @model_validator(mode="after")
    def _buildable(self) -> TextConfig:
        if self.tokenizer is None:
            self.tokenizer = self.pretrained if self.pretrained is not None else "minilm"
        if self.pretrained is None and self.width % self.heads:
            raise ValueError(f"text.width={self.width} is not divisible by text.heads={self.heads}")
        if self.pretrained is None and max(self.caption_len, self.prompt_len) > self.max_positions:
            raise ValueError("text.caption_len and text.prompt_len must fit in text.max_positions")
        return self


class ModelConfig(ConfigModel):
    """The dual encoder: both towers, the joint dimension D and the logit scale; `preset` names the
    preset it was built from (None: the defaults below)."""

    preset: str | None = None
    video: VideoConfig = Field(default_factory=VideoConfig)
    text: TextConfig = Field(default_factory=TextConfig)
    embed_dim: int = 128  # D
    logit_scale_init: float = 1 / 0.07
    logit_scale_max: float = 100.0

    @model_validator(mode="before")
    @classmethod
    def _expand_preset(cls, data: Any) -> Any:
        """Lay the named preset's tree under the given keys (the given keys win)."""
        if not isinstance(data, dict) or data.get("preset") is None:
            return data
        from core.model.presets import PRESET_TREES

        preset = data["preset"]
        if preset not in PRESET_TREES:
            raise UserError(f"unknown model preset {preset!r}; choose from {', '.join(PRESET_TREES)}")
        given = {key: value for key, value in data.items() if key != "preset"}
        return {"preset": preset, **apply_overrides(PRESET_TREES[preset], given)}

    @model_validator(mode="after")
    def _positive_dim(self) -> ModelConfig:
        if self.embed_dim < 1:
            raise ValueError("embed_dim must be >= 1")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> ModelConfig:
        """Inverse of `to_dict`; missing keys keep their (preset's) defaults, unknown keys raise `UserError`."""
        return validate_config(cls, data, where)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls.from_dict(json.loads(text))
