"""Runs made by hand for the housekeeping tests: real rows, real folders, real cache entries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from core.data.feature_cache import cache_path, cached, feature_cache_dir, weights_fingerprint
from core.registry import Registry, Run
from core.registry.tables import utcnow
from core.settings import Settings
from core.train.checkpoint import checkpoint_tag

HOUR_AGO = utcnow() - timedelta(hours=1)


def make_run(registry: Registry, settings: Settings, run_id: str, *, status: str = "finished", recipe: str = "pretrain",
             keep_last: int = 2, created_offset_s: int = 0, **fields: Any) -> Path:
    """A run row and its folder (config.yaml, a log), created an hour ago unless `created` is given."""
    run_dir = settings.run_dir(run_id)
    (run_dir / "logs").mkdir(parents=True)
    (run_dir / "config.yaml").write_text("train: {}\n")
    (run_dir / "logs" / "train.log").write_text("x" * 500)
    fields.setdefault("created", HOUR_AGO + timedelta(seconds=created_offset_s))
    fields.setdefault("heartbeat", fields["created"])
    config = fields.pop("config", {})
    config.setdefault("train", {})["keep_last"] = keep_last
    registry.create_run(Run(id=run_id, name=fields.pop("name", run_id), recipe=recipe, config_name="tiny",
                            status=status, run_dir=str(run_dir), config=config, host="node1", **fields))
    return run_dir


def add_checkpoint(registry: Registry, run_dir: Path, run_id: str, step: int, size: int = 1000,
                   complete: bool = True) -> Path:
    path = run_dir / "checkpoints" / checkpoint_tag(step)
    path.mkdir(parents=True)
    (path / "model_states.pt").write_bytes(b"\0" * size)
    registry.add_checkpoint(run_id=run_id, tag=path.name, step=step, path=str(path), complete=complete, bytes=size)
    return path


def add_export(registry: Registry, run_dir: Path, run_id: str, step: int = 10) -> Path:
    export = run_dir / "export"
    export.mkdir(parents=True, exist_ok=True)
    (export / "model.safetensors").write_bytes(b"w" * 300)
    (export / "config.json").write_text("{}")
    registry.add_checkpoint(run_id=run_id, tag="export", step=step, path=str(export), kind="export", complete=True,
                            bytes=304)
    return export


def cache_features(settings: Settings, export: Path, what: str = "retrieval") -> Path:
    """A feature-cache entry of `export`'s weights, written by the cache's own code."""
    path = cache_path(feature_cache_dir(settings), weights=weights_fingerprint(export), what=what)
    cached(path, lambda: {"features": np.ones((4, 8), dtype=np.float32)})
    return path
