"""2D ViT checkpoints the video tower can start from: what they are and their tensors under timm's names.

Accepted (`model.video.pretrained=SOURCE`):
- a folder written by `transformers` (`ViTModel` / `ViTForImageClassification.save_pretrained`,
  e.g. a downloaded `google/vit-base-patch16-224-in21k`): `config.json` (model_type `vit`), the
  weights, and `preprocessor_config.json` for the pixel mean/std when present;
- a timm-format state-dict file (`.safetensors`, `.pth`, `.bin`, `.pt`; timm's key names:
  `patch_embed.proj.weight`, `pos_embed`, `blocks.N.attn.qkv.weight`, `norm.weight`, ...), or a
  folder holding one with timm's `config.json` (`architecture`, `pretrained_cfg`);
- a hub id of either, through the Hugging Face cache (`core.model.sources`).

Architecture read from the checkpoint: width, depth, patch size and MLP ratio from the tensors or
the config, LayerNorm eps (transformers: `layer_norm_eps`; timm's ViTs use 1e-6), the pixel
mean/std (transformers: `preprocessor_config.json`; timm: `pretrained_cfg` of a `config.json`
beside the weights). A timm state dict does not store its number of heads: it is taken from
`model_args.num_heads` of that `config.json`, else timm's ViT convention of 64 channels per head.
PyTorch pickles are read with `weights_only=True`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import Tensor

from core.errors import UserError
from core.model.sources import WEIGHT_SUFFIXES, resolve_source, weight_files

KEY = "model.video.pretrained"
TIMM_EPS = 1e-6  # timm's ViTs build every LayerNorm with eps 1e-6
TIMM_HEAD_DIM = 64  # ViT-Ti/S/B/L: width / heads = 64
# The per-block tensors of a plain pre-norm ViT, under timm's names (what the tower's blocks hold).
BLOCK_TENSORS = tuple(f"{module}.{kind}" for module in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2")
                      for kind in ("weight", "bias"))
# Checkpoint tensors the video tower has no place for (the class token, classifier heads, pooler).
IGNORED_PREFIXES = ("cls_token", "head.", "head_drop", "fc_norm.", "pre_logits.", "pooler.", "classifier.")


@dataclass(frozen=True)
class ViTArchitecture:
    width: int
    depth: int
    heads: int
    patch: int
    mlp_ratio: float
    grid: int  # patches per side of the checkpoint's position table
    norm_eps: float
    mean: tuple[float, float, float] | None  # None: the checkpoint does not say
    std: tuple[float, float, float] | None


@dataclass(frozen=True)
class ViTCheckpoint:
    source: str  # as the config names it
    path: Path  # the local file or folder
    format: str  # "transformers" | "timm"
    files: tuple[Path, ...]  # the weight file(s)
    arch: ViTArchitecture


def open_vit(source: str) -> ViTCheckpoint:
    """What `source` holds (its architecture; tensors are read only where timm's layout needs their shapes)."""
    path = resolve_source(source, KEY)
    if path.is_dir():
        config = _read_json(path / "config.json")
        if config.get("model_type") == "vit":
            return _open_transformers(source, path, config)
        if config.get("model_type"):
            raise UserError(f"{KEY}={source}: a {config['model_type']!r} model, not a ViT")
        files = weight_files(path)
        if len(files) != 1:
            raise UserError(f"{KEY}={source}: expected one timm-format weight file in the folder, found {len(files)}")
        return _open_timm(source, files[0], config)
    if path.suffix not in WEIGHT_SUFFIXES:
        raise UserError(f"{KEY}={source}: expected a folder or a {'/'.join(WEIGHT_SUFFIXES)} file")
    return _open_timm(source, path, _read_json(path.parent / "config.json"))


def read_vit_state(checkpoint: ViTCheckpoint) -> dict[str, Tensor]:
    """The checkpoint's tensors under timm's names (a transformers checkpoint's renamed)."""
    state: dict[str, Tensor] = {}
    for file in checkpoint.files:
        state.update(_load_tensors(file, checkpoint.source))
    if checkpoint.format == "transformers":
        return transformers_to_timm(state, checkpoint.arch.depth)
    return state


def transformers_to_timm(state: dict[str, Tensor], depth: int) -> dict[str, Tensor]:
    """`ViTModel` / `ViTForImageClassification` names -> timm's; separate q, k, v become one `qkv`.

    Files on disk use the long-standing names (`encoder.layer.N.attention.attention.query`); the
    names of transformers 5's modules (`layers.N.attention.q_proj`) are accepted too.
    """
    state = {k.removeprefix("vit."): v for k, v in state.items()}

    def pop(*names: str) -> Tensor | None:
        found = [state.pop(name) for name in names if name in state]
        return found[0] if found else None

    out = {"cls_token": pop("embeddings.cls_token"), "pos_embed": pop("embeddings.position_embeddings")}
    for kind in ("weight", "bias"):
        out[f"patch_embed.proj.{kind}"] = pop(f"embeddings.patch_embeddings.projection.{kind}")
        out[f"norm.{kind}"] = pop(f"layernorm.{kind}")
        for i in range(depth):
            old, new, timm = f"encoder.layer.{i}.", f"layers.{i}.", f"blocks.{i}."
            qkv = [pop(f"{old}attention.attention.{part}.{kind}", f"{new}attention.{part[0]}_proj.{kind}")
                   for part in ("query", "key", "value")]
            out[f"{timm}attn.qkv.{kind}"] = torch.cat(qkv) if all(t is not None for t in qkv) else None
            for ours, legacy, current in (("norm1", "layernorm_before", "layernorm_before"),
                                          ("attn.proj", "attention.output.dense", "attention.o_proj"),
                                          ("norm2", "layernorm_after", "layernorm_after"),
                                          ("mlp.fc1", "intermediate.dense", "mlp.fc1"),
                                          ("mlp.fc2", "output.dense", "mlp.fc2")):
                out[f"{timm}{ours}.{kind}"] = pop(f"{old}{legacy}.{kind}", f"{new}{current}.{kind}")
    out = {k: v for k, v in out.items() if v is not None}
    out.update(state)  # whatever is left (pooler, classifier) keeps its name: reported as ignored
    return out


# -- the two formats ---------------------------------------------------------------------------------


def _open_transformers(source: str, path: Path, config: dict) -> ViTCheckpoint:
    if config.get("hidden_act", "gelu") != "gelu" or not config.get("qkv_bias", True) or config.get("num_channels", 3) != 3:
        raise UserError(f"{KEY}={source}: only ViTs with GELU, qkv biases and 3 input channels are supported")
    files = weight_files(path)
    if not files:
        raise UserError(f"{KEY}={source}: the folder has no weight file")
    width = int(config["hidden_size"])
    image, patch = int(config.get("image_size", 224)), int(config.get("patch_size", 16))
    processor = _read_json(path / "preprocessor_config.json")
    mean, std = processor.get("image_mean"), processor.get("image_std")
    arch = ViTArchitecture(
        width=width, depth=int(config["num_hidden_layers"]), heads=int(config["num_attention_heads"]), patch=patch,
        mlp_ratio=int(config.get("intermediate_size", 4 * width)) / width, grid=image // patch,
        norm_eps=float(config.get("layer_norm_eps", 1e-12)), mean=_triple(mean), std=_triple(std),
    )
    return ViTCheckpoint(source, path, "transformers", tuple(files), arch)


def _open_timm(source: str, file: Path, config: dict) -> ViTCheckpoint:
    state = _load_tensors(file, source)
    proj = state.get("patch_embed.proj.weight")
    if proj is None or proj.ndim != 4 or "pos_embed" not in state:
        raise UserError(f"{KEY}={source}: no ViT tensors in it (no timm-style patch_embed.proj.weight / pos_embed)")
    width, patch = int(proj.shape[0]), int(proj.shape[-1])
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    if depth == 0 or "blocks.0.mlp.fc1.weight" not in state:
        raise UserError(f"{KEY}={source}: no transformer blocks (blocks.N.*) in it")
    positions = int(state["pos_embed"].shape[1]) - (1 if "cls_token" in state else 0)
    grid = math.isqrt(positions)
    if grid * grid != positions:
        raise UserError(f"{KEY}={source}: a position table of {positions} entries is not a square grid")
    heads = int(config.get("model_args", {}).get("num_heads", 0)) or (width // TIMM_HEAD_DIM if width % TIMM_HEAD_DIM == 0 else 0)
    if not heads:
        raise UserError(f"{KEY}={source}: a timm state dict does not store its number of heads; put a config.json "
                        'with {"model_args": {"num_heads": N}} beside it')
    pretrained_cfg = config.get("pretrained_cfg", {})
    arch = ViTArchitecture(
        width=width, depth=depth, heads=heads, patch=patch,
        mlp_ratio=int(state["blocks.0.mlp.fc1.weight"].shape[0]) / width, grid=grid, norm_eps=TIMM_EPS,
        mean=_triple(pretrained_cfg.get("mean")), std=_triple(pretrained_cfg.get("std")),
    )
    return ViTCheckpoint(source, file, "timm", (file,), arch)


def _load_tensors(file: Path, source: str) -> dict[str, Tensor]:
    try:
        if file.suffix == ".safetensors":
            return load_file(str(file), device="cpu")
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - an unreadable or tampered file is the user's input
        raise UserError(f"{KEY}={source}: cannot read {file.name} ({type(err).__name__}: {str(err)[:120]})") from err
    for wrapper in ("model", "state_dict"):  # training checkpoints often nest the weights
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise UserError(f"{KEY}={source}: {file.name} is not a state dict of tensors")
    return state


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise UserError(f"{path} is not valid JSON: {err}") from err


def _triple(values: list[float] | None) -> tuple[float, float, float] | None:
    if values is None:
        return None
    if isinstance(values, (int, float)):
        values = [values] * 3
    return (float(values[0]), float(values[1]), float(values[2]))
