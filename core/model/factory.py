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
from transformers import BertConfig

from core.config import apply_overrides
from core.model.config import ModelConfig
from core.model.presets import PRESET_TREES
from core.model.svilm import SViLM
from core.model.text_encoder import resolve_path


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

    A pretrained text tower is counted from its config file, not its weights.
    """
    cfg = build_config(preset, **overrides)
    if cfg.text.pretrained is not None:
        # Same architecture, built from the directory's config.json instead of its weights.
        bert = BertConfig.from_pretrained(str(resolve_path(cfg.text.pretrained)), local_files_only=True)
        cfg.text = cfg.text.model_copy(update={
            "pretrained": None, "vocab_size": bert.vocab_size, "width": bert.hidden_size,
            "depth": bert.num_hidden_layers, "heads": bert.num_attention_heads, "mlp_dim": bert.intermediate_size,
            "max_positions": bert.max_position_embeddings,
        })
    with torch.device("meta"):
        return count_parameters(SViLM(cfg))
