"""A 2D ViT's weights into the video tower: the patch kernel inflated over time, the position table split.

Shape letters: C width, t frames per tubelet, p patch side, g / G the checkpoint's / the tower's
patches per side, Nt temporal positions.

- Patch kernel [C, 3, p, p] -> tubelet kernel [C, 3, t, p, p]: `average` spreads it evenly (W / t at
  every frame: a static clip then embeds exactly as the image does), `center` puts it whole on the
  middle frame (index t // 2) and zeros elsewhere (I3D's two choices).
- Position table [1, (1+) g*g, C] -> the spatial table [G, G, C]: the class-token position dropped,
  bicubic interpolation when the tower's grid differs (as `transformers`' `interpolate_pos_encoding`
  and the tower itself do). The temporal table starts at zero, so every frame starts where the
  image model was.
- Blocks and the final LayerNorm are copied as they are; the class token, classifier and pooler are
  not used. Group tokens, grouping blocks, the projections and the region norm are new (initialised
  as for a scratch tower).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.errors import UserError
from core.model.sources import file_sha256
from core.model.vit_checkpoint import BLOCK_TENSORS, IGNORED_PREFIXES, KEY, ViTCheckpoint, read_vit_state


@dataclass
class TowerInit:
    """What initialised one tower (what a run records and `runs show --json` prints)."""

    source: str | None  # as the config names it (None: random initialisation)
    format: str = "random"  # random | transformers | timm | bert
    path: str | None = None  # the local file or folder it was read from
    sha256: dict[str, str] = field(default_factory=dict)  # weight file name -> SHA-256
    loaded: int = 0  # tower tensors taken from the checkpoint (inflated and interpolated ones included)
    inflated: int = 0
    interpolated: int = 0
    new: int = 0  # tower tensors initialised here
    ignored: int = 0  # checkpoint tensors the tower has no place for
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inflate_kernel(kernel: Tensor, frames: int, mode: str) -> Tensor:
    """2D patch kernel [C, 3, p, p] -> tubelet kernel [C, 3, t, p, p]."""
    if mode == "average":
        return kernel[:, :, None].expand(-1, -1, frames, -1, -1) / frames
    if mode == "center":
        out = kernel.new_zeros(kernel.shape[0], kernel.shape[1], frames, *kernel.shape[2:])
        out[:, :, frames // 2] = kernel
        return out
    raise ValueError(f"unknown inflation {mode!r}")


def spatial_table(pos_embed: Tensor, has_class: bool, grid: int) -> tuple[Tensor, bool]:
    """Position table [1, (1+) g*g, C] -> (spatial table [G, G, C], interpolated?)."""
    table = pos_embed[0, 1:] if has_class else pos_embed[0]  # [g*g, C]
    g = int(round(table.shape[0] ** 0.5))
    table = table.reshape(g, g, -1)  # [g, g, C]
    if g == grid:
        return table, False
    moved = F.interpolate(table.permute(2, 0, 1)[None], size=(grid, grid), mode="bicubic", align_corners=False)
    return moved[0].permute(1, 2, 0), True  # [G, G, C]


@torch.no_grad()
def load_2d_vit(tower: nn.Module, checkpoint: ViTCheckpoint, inflate: str) -> TowerInit:
    """Copy `checkpoint` into the video tower `tower` (a `VideoEncoder` of the checkpoint's architecture)."""
    state = read_vit_state(checkpoint)
    target = tower.state_dict()
    cfg = tower.cfg
    report = TowerInit(source=checkpoint.source, format=checkpoint.format, path=str(checkpoint.path),
                       sha256={f.name: file_sha256(f) for f in checkpoint.files})
    values: dict[str, Tensor] = {}
    used: set[str] = set()

    def take(ours: str, theirs: str) -> None:
        if theirs in state:
            values[ours] = state[theirs]
            used.add(theirs)

    for i in range(cfg.depth):
        for name in BLOCK_TENSORS:
            take(f"blocks.{i}.{name}", f"blocks.{i}.{name}")
    for kind in ("weight", "bias"):
        take(f"norm.{kind}", f"norm.{kind}")
        take(f"patch_embed.proj.{kind}", f"patch_embed.proj.{kind}")
    if "patch_embed.proj.weight" in values:
        kernel = values["patch_embed.proj.weight"]  # [C, 3, p, p]
        values["patch_embed.proj.weight"] = inflate_kernel(kernel, cfg.tubelet, inflate).reshape(kernel.shape[0], -1)
        report.inflated += 1
    if "pos_embed" in state:
        grid = cfg.image_size // cfg.patch
        values["pos_embed.spatial"], moved = spatial_table(state["pos_embed"], "cls_token" in state, grid)
        values["pos_embed.temporal"] = torch.zeros_like(target["pos_embed.temporal"])  # every frame starts alike
        used.add("pos_embed")
        report.interpolated += int(moved)
        if moved:
            report.notes.append(f"position table interpolated from {checkpoint.arch.grid}x{checkpoint.arch.grid} "
                                f"to {grid}x{grid} patches")

    unused = [k for k in state if k not in used]
    unsupported = [k for k in unused if not k.startswith(IGNORED_PREFIXES)]  # e.g. layer scale, register tokens
    if unsupported:
        raise UserError(f"{KEY}={checkpoint.source}: unsupported ViT variant (tensors {', '.join(unsupported[:3])} "
                        "have no place in the tower)")
    for name, value in values.items():
        if name == "pos_embed.temporal":
            continue
        if tuple(value.shape) != tuple(target[name].shape):
            raise UserError(f"{KEY}={checkpoint.source}: {name} has shape {tuple(value.shape)}, the tower "
                            f"{tuple(target[name].shape)}")
        target[name].copy_(value.to(target[name].dtype))
    target["pos_embed.temporal"].zero_()
    report.loaded = len(values) - 1  # the zeroed temporal table is not the checkpoint's
    if report.loaded == 0:
        raise UserError(f"{KEY}={checkpoint.source}: no tensor of it matches the video tower")
    report.new = len(target) - report.loaded
    report.ignored = len(unused)
    if checkpoint.arch.mean is None:
        report.notes.append("pixel mean/std: the config's (the checkpoint does not state them)")
    return report
