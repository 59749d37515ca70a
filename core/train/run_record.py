"""A run's birth in the registry: a `pending` row with its resolved config, the code's git state
and its folder. The rest of its life (`running`, heartbeats, the end) is `core.train.lifecycle`'s."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from core.registry.schema import RunStatus
from core.registry.tables import Run, new_run_id

if TYPE_CHECKING:
    from core.registry import Registry
    from core.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def git_state(folder: Path = PROJECT_DIR) -> tuple[str | None, bool]:
    """(commit sha, dirty?) of the code that runs, or (None, False) outside a git checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, False
    return sha or None, bool(dirty)


def create_run(
    registry: Registry,
    settings: Settings,
    *,
    recipe: str,
    config_name: str,
    config: dict[str, Any],
    name: str | None,
    world_size: int,
    seed: int,
    max_steps: int | None,
    parent_id: str | None = None,
    tags: dict[str, Any] | None = None,
    extra_files: dict[str, Any] | None = None,
) -> Run:
    """Register a `pending` run and write its folder: config.yaml (+ extra JSON files)."""
    run_id = new_run_id()
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=False)
    (run_dir / "config.yaml").write_text(
        f"# resolved config of run {run_id} ({recipe}/{config_name})\n" + yaml.safe_dump(config, sort_keys=False)
    )
    for file_name, content in (extra_files or {}).items():
        (run_dir / file_name).write_text(json.dumps(content, indent=2))
    sha, dirty = git_state()
    return registry.create_run(Run(
        id=run_id, name=name or f"{recipe}-{config_name}-{run_id[-6:]}", recipe=recipe, config_name=config_name,
        config=config, parent_id=parent_id, tags=tags or {}, git_sha=sha, git_dirty=dirty, seed=seed,
        host=socket.gethostname(), world_size=world_size, status=RunStatus.PENDING, max_steps=max_steps,
        run_dir=str(run_dir),
    ))
