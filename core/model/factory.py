"""Named model presets and `create_model(preset, **overrides)`.

Presets:
- `tiny`: unit tests (under 2M parameters, 4 frames at 32 px, tubelet 1x8x8 -> Nt 4, Ns 16).
- `small`: the CPU demo (8 frames at 64 px, tubelet 2x8x8 -> Nt 4, Ns 64).
- `base`: the paper's scale (ViT-B/16 video tower, BERT-base-sized text tower, 16 frames at 224 px);
  `base32` is the same with 32 frames.

Overrides are nested dicts (`video={"depth": 4}`) or dotted keys (`**{"video.depth": 4}`);
unknown keys raise `core.errors.UserError`.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import nn
from transformers import BertConfig

from core.errors import UserError
from core.model.config import ModelConfig, TextConfig, VideoConfig, to_dict
from core.model.svilm import SViLM
from core.model.text_encoder import resolve_path


def _freeze(value: Any) -> Any:
    """Deep read-only view: dicts -> MappingProxyType, lists -> tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


_TINY = ModelConfig(
    video=VideoConfig(
        num_frames=4, image_size=32, tubelet=1, patch=8, width=64, depth=2, heads=4,
        num_groups=4, grouping_after=(1, 2),
    ),
    text=TextConfig(width=32, depth=2, heads=2, mlp_dim=64, max_positions=32, caption_len=16, prompt_len=12),
    embed_dim=32,
)

# The CPU demo. Width 128 x 4 layers keeps the whole objective's fwd+bwd at batch 32 near 0.4 s
# on 2 cores (8 frames at 64 px -> 256 video tokens + 8 groups). Text tower: a 2-layer scratch
# BERT (width 128) rather than MiniLM: with MiniLM the step takes ~0.57 s (4 of 6 layers frozen)
# or ~0.48 s (all frozen), and the synthetic captions' few dozen words need no pretrained tower.
_SMALL = ModelConfig(
    video=VideoConfig(
        num_frames=8, image_size=64, tubelet=2, patch=8, width=128, depth=4, heads=4,
        num_groups=8, grouping_after=(2, 4),
    ),
    text=TextConfig(width=128, depth=2, heads=4, mlp_dim=512, max_positions=64, caption_len=32, prompt_len=16),
    embed_dim=128,
)

_BASE = ModelConfig(
    video=VideoConfig(
        num_frames=16, image_size=224, tubelet=2, patch=16, width=768, depth=12, heads=12,
        num_groups=32, grouping_after=(6, 9, 12),
    ),
    text=TextConfig(
        width=768, depth=12, heads=12, mlp_dim=3072, max_positions=512, caption_len=40, prompt_len=16,
    ),
    embed_dim=512,
)

_BASE32 = copy.deepcopy(_BASE)
_BASE32.video.num_frames = 32

# name -> config as a read-only nested mapping (what `ModelConfig.to_dict` gives).
PRESETS: Mapping[str, Mapping[str, Any]] = _freeze(
    {"tiny": to_dict(_TINY), "small": to_dict(_SMALL), "base": to_dict(_BASE), "base32": to_dict(_BASE32)}
)


def _set(tree: dict[str, Any], key: str, value: Any) -> None:
    """Set `tree[a][b] = value` for key "a.b", refusing keys the tree does not have."""
    parts = key.split(".")
    node = tree
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            raise UserError(f"unknown model config key: {'.'.join(parts[: i + 1])}")
        if i == len(parts) - 1:
            if isinstance(node[part], dict) and isinstance(value, Mapping):
                for k, v in value.items():
                    _set(node[part], k, v)
            else:
                node[part] = _thaw(value) if isinstance(value, Mapping) else value
        else:
            node = node[part]


def build_config(preset: str, **overrides: Any) -> ModelConfig:
    """The preset's `ModelConfig` with overrides applied and validated."""
    if preset not in PRESETS:
        raise UserError(f"unknown model preset {preset!r}; choose from {', '.join(PRESETS)}")
    tree = _thaw(PRESETS[preset])
    for key, value in overrides.items():
        _set(tree, key, value)
    cfg = ModelConfig.from_dict(tree)
    cfg.validate()
    return cfg


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
        cfg.text = dataclasses.replace(
            cfg.text, pretrained=None, vocab_size=bert.vocab_size, width=bert.hidden_size,
            depth=bert.num_hidden_layers, heads=bert.num_attention_heads, mlp_dim=bert.intermediate_size,
            max_positions=bert.max_position_embeddings,
        )
    with torch.device("meta"):
        return count_parameters(SViLM(cfg))
