"""Model configuration: plain dataclasses with defaults and a dict/JSON round trip.

Configs are saved beside exported weights (`config.json`), so every field must survive
`to_dict` -> JSON -> `from_dict`. Unknown keys and wrong types raise `core.errors.UserError`
(they come from user files and overrides). The defaults describe a small model; the named
presets live in `core.model.factory`.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.errors import UserError

T = TypeVar("T")


@dataclass
class VideoConfig:
    """Video tower E_v: a ViT over tubelets with group tokens and grouping blocks."""

    num_frames: int = 8  # T at pre-training; other counts work (position tables interpolate)
    image_size: int = 64  # H = W at pre-training
    tubelet: int = 2  # frames per tubelet -> Nt = T / tubelet
    patch: int = 8  # pixels per patch side -> Ns = (H / patch) * (W / patch)
    width: int = 128  # C
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0
    num_groups: int = 8  # M
    grouping_after: tuple[int, ...] = (2, 4)  # 1-based layer indices followed by a grouping block
    gumbel: bool = True  # Gumbel noise (tau = 1) on the assignment logits in training
    gumbel_tau: float = 1.0
    # Pixel normalisation after scaling to [0, 1] (CLIP's statistics).
    mean: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
    std: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)
    grad_checkpointing: bool = False

    def validate(self) -> None:
        """Raise `UserError` on values that cannot build a model."""
        if self.num_frames % self.tubelet:
            raise UserError(f"video.num_frames={self.num_frames} is not a multiple of video.tubelet={self.tubelet}")
        if self.image_size % self.patch:
            raise UserError(f"video.image_size={self.image_size} is not a multiple of video.patch={self.patch}")
        if self.width % self.heads:
            raise UserError(f"video.width={self.width} is not divisible by video.heads={self.heads}")
        if not self.grouping_after:
            raise UserError("video.grouping_after must name at least one layer")
        bad = [i for i in self.grouping_after if not 1 <= i <= self.depth]
        if bad or len(set(self.grouping_after)) != len(self.grouping_after):
            raise UserError(f"video.grouping_after={list(self.grouping_after)} must be distinct layers in 1..{self.depth}")
        if self.num_groups < 1:
            raise UserError("video.num_groups must be >= 1")


@dataclass
class TextConfig:
    """Text tower E_t: a Hugging Face BertModel, scratch-built or loaded from a local directory."""

    # None: build from the fields below; "minilm": the packaged all-MiniLM-L6-v2; else a local dir.
    pretrained: str | None = None
    # Tokenizer directory ("minilm" = the package's bert-base-uncased vocab, 30522 entries).
    tokenizer: str = "minilm"
    vocab_size: int = 30522
    width: int = 128
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 512
    max_positions: int = 64  # position table of a scratch tower
    pooling: str = "cls"  # [choice] "cls" or "mean" (masked mean over tokens)
    # Hidden and attention dropout, applied to pretrained towers too (contrastive towers train
    # without it, as CLIP does; it also keeps SDPA on its fused kernels).
    dropout: float = 0.0
    frozen_layers: int = 0  # freeze the embeddings and the first n layers (n > 0); -1 freezes all layers
    caption_len: int = 32  # tokens per caption (padding/truncation by the data pipeline)
    prompt_len: int = 16  # tokens per noun prompt "A photo of a {noun}."
    grad_checkpointing: bool = False

    def validate(self) -> None:
        """Raise `UserError` on values that cannot build a model."""
        if self.pooling not in ("cls", "mean"):
            raise UserError(f"text.pooling must be 'cls' or 'mean', got {self.pooling!r}")
        if self.pretrained is None and self.width % self.heads:
            raise UserError(f"text.width={self.width} is not divisible by text.heads={self.heads}")
        if self.pretrained is None and max(self.caption_len, self.prompt_len) > self.max_positions:
            raise UserError("text.caption_len and text.prompt_len must fit in text.max_positions")


@dataclass
class ModelConfig:
    """The dual encoder: both towers, the joint dimension D and the logit scale."""

    video: VideoConfig = field(default_factory=VideoConfig)
    text: TextConfig = field(default_factory=TextConfig)
    embed_dim: int = 128  # D
    logit_scale_init: float = 1 / 0.07
    logit_scale_max: float = 100.0

    def validate(self) -> None:
        """Raise `UserError` on values that cannot build a model."""
        self.video.validate()
        self.text.validate()
        if self.embed_dim < 1:
            raise UserError("embed_dim must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready nested dict (tuples become lists)."""
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of `to_dict`; missing keys keep their defaults, unknown keys raise `UserError`."""
        return from_dict(cls, data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls.from_dict(json.loads(text))


# --- generic dataclass <-> dict helpers (also used by core.losses.config) ---


def to_dict(obj: Any) -> dict[str, Any]:
    """Nested dataclass -> plain dict of JSON types."""

    def convert(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: convert(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (tuple, list)):
            return [convert(x) for x in v]
        return v

    return convert(obj)


def from_dict(cls: type[T], data: Any, where: str = "") -> T:
    """Build dataclass `cls` from a (possibly partial) dict, checking keys and types."""
    if not isinstance(data, dict):
        raise UserError(f"{where or cls.__name__}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        prefix = f"{where}." if where else ""
        raise UserError(f"unknown config key(s): {', '.join(prefix + k for k in unknown)}")
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        kwargs[key] = _coerce(hints[key], value, path)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, path: str) -> Any:
    """Check `value` against the annotation `tp`; convert lists to tuples and ints to floats."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        return from_dict(tp, value, path)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, path)
            except UserError:
                pass
        raise UserError(f"{path}: {value!r} does not match {tp}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{path}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise UserError(f"{path}: expected {len(args)} values, got {len(value)}")
        return tuple(_coerce(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if tp is bool:
        if not isinstance(value, bool):
            raise UserError(f"{path}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise UserError(f"{path}: expected a string, got {value!r}")
        return value
    return value
