"""`create_model(preset, **overrides)`: an `SViLM` from a named preset (`core.model.presets`).

Overrides are nested dicts (`video={"depth": 4}`) or dotted keys (`**{"video.depth": 4}`),
applied by the same function that applies recipe overrides; unknown keys raise
`core.errors.UserError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from core.config import apply_overrides
from core.model.config import ModelConfig
from core.model.initialization import resolve_model_config
from core.model.presets import PRESET_TREES
from core.model.svilm import SViLM


def _read_only(value: Any) -> Any:
    """Deep read-only view: dicts -> MappingProxyType, lists -> tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: _read_only(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_read_only(v) for v in value)
    return value


def build_config(preset: str, **overrides: Any) -> ModelConfig:
    """The preset's `ModelConfig` with overrides applied and validated."""
    return ModelConfig.from_dict(apply_overrides({"preset": preset}, overrides))


# name -> the preset's full config as a read-only nested mapping (what `ModelConfig.to_dict` gives).
PRESETS: Mapping[str, Mapping[str, Any]] = _read_only({name: build_config(name).to_dict() for name in PRESET_TREES})


def create_model(preset: str, **overrides: Any) -> SViLM:
    """Build `SViLM` from a named preset, e.g. `create_model("tiny", **{"video.depth": 3})`."""
    return SViLM(build_config(preset, **overrides))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter elements (works on meta-device models)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_preset_parameters(preset: str, **overrides: Any) -> int:
    """Parameter count of a preset without allocating weights (built on the meta device).

    Pretrained towers are counted from their checkpoints' configs, not their weights.
    """
    cfg = resolve_model_config(build_config(preset, **overrides))
    with torch.device("meta"):
        return count_parameters(SViLM(cfg, pretrained=False))
