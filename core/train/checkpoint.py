"""Resumable checkpoints: DeepSpeed's engine state plus every rank's RNG state and the data position.

A checkpoint folder `checkpoints/step_0000200/` is complete only once `MANIFEST.json` (every
file's size and SHA-256, written last, atomically, after the files are synced) exists; only then
is it registered. A crash mid-save leaves a folder without a manifest that resuming ignores.
Loading checks the manifest (a changed or missing file is refused) and reads every tensor file
with `weights_only=True` (see safe_load.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.train import rng
from core.train.distributed import barrier

if TYPE_CHECKING:
    from deepspeed import DeepSpeedEngine

MANIFEST = "MANIFEST.json"


def checkpoint_tag(step: int) -> str:
    return f"step_{step:07d}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def write_manifest(folder: Path, meta: dict[str, Any]) -> int:
    """Record every file of `folder`; returns the total bytes. Written last and atomically."""
    _sync_tree(folder)
    files = {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST and not p.name.endswith(".tmp")
    }
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"files": files, **meta}, indent=1))
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    tmp.replace(folder / MANIFEST)
    return sum(f["bytes"] for f in files.values())


def check_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a complete, unchanged checkpoint; a user error otherwise."""
    path = folder / MANIFEST
    if not path.is_file():
        raise UserError(f"checkpoint {folder} is incomplete (no {MANIFEST}): it was interrupted while saving")
    manifest = json.loads(path.read_text())
    for name, expected in manifest["files"].items():
        file = folder / name
        if not file.is_file():
            raise UserError(f"checkpoint {folder} is missing {name}")
        if file.stat().st_size != expected["bytes"] or _sha256(file) != expected["sha256"]:
            raise UserError(f"checkpoint file {file} changed since it was written: refusing to load it")
    return manifest


@dataclass
class SavedCheckpoint:
    tag: str
    step: int
    path: Path
    bytes: int


def saved_world_size(folder: Path) -> int:
    """How many processes wrote the checkpoint in `folder` (its manifest says; older ones: RNG files)."""
    manifest = json.loads((folder / MANIFEST).read_text()) if (folder / MANIFEST).is_file() else {}
    return int(manifest.get("world_size") or len(list(folder.glob("rng_rank*.json"))) or 1)


class CheckpointManager:
    """Saves and restores one run's checkpoints; every rank calls `save`/`load` together."""

    def __init__(self, engine: DeepSpeedEngine, folder: Path, rank: int, keep_last: int, world_size: int = 1,
                 zero_stage: int = 0):
        self.engine = engine
        self.folder = folder
        self.rank = rank
        self.keep_last = keep_last
        self.world_size = world_size
        self.zero_stage = zero_stage

    def save(self, step: int, client_state: dict[str, Any]) -> SavedCheckpoint | None:
        """Collective. Returns the complete checkpoint on rank 0 (None elsewhere)."""
        tag = checkpoint_tag(step)
        path = self.folder / tag
        if self.rank == 0 and path.exists():  # a partial folder from a crash at this very step
            shutil.rmtree(path)
        barrier()
        self.engine.save_checkpoint(str(self.folder), tag=tag, client_state=client_state)
        rng.save(path / f"rng_rank{self.rank:03d}.json", rng.capture())
        barrier()
        saved = None
        if self.rank == 0:
            size = write_manifest(path, {"step": step, "tag": tag, "world_size": self.world_size,
                                         "zero_stage": self.zero_stage})
            saved = SavedCheckpoint(tag=tag, step=step, path=path, bytes=size)
        barrier()
        return saved

    def load(self, path: Path, weights: Path | None = None) -> dict[str, Any]:
        """Collective. Restores engine, optimizer, scheduler and this rank's RNG; returns client state.

        `weights`: where the engine's state comes from when it is not `path` itself (a universal
        conversion of `path` for another world size, `core.train.reshard`). A rank the checkpoint
        has no RNG state for (the world grew) keeps the stream it was seeded with.
        """
        check_manifest(path)
        source = weights or path
        if weights is not None:
            check_manifest(weights)
        loaded, client_state = self.engine.load_checkpoint(
            str(source.parent), tag=source.name, load_optimizer_states=True, load_lr_scheduler_states=True
        )
        if loaded is None:
            raise UserError(f"DeepSpeed could not load checkpoint {source}")
        rng_file = path / f"rng_rank{self.rank:03d}.json"
        if rng_file.is_file():
            rng.restore(rng.load(rng_file))
        elif saved_world_size(path) == self.world_size:
            raise UserError(f"checkpoint {path} has no RNG state for rank {self.rank}")
        return client_state or {}

    def prune(self, keep: list[Path]) -> None:
        """Delete checkpoint folders of this run that are not in `keep` (rank 0 only)."""
        if self.rank != 0:
            return
        keep_set = {p.resolve() for p in keep}
        for folder in sorted(self.folder.glob("step_*")):
            if folder.is_dir() and folder.resolve() not in keep_set:
                shutil.rmtree(folder, ignore_errors=True)
