"""A run's life in the registry: created `pending` with its resolved config, then `running`
with a heartbeat, and finally `finished`, `failed` (with the error) or `interrupted`."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import yaml

from core.registry.tables import Run, utcnow

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
    registry: Any,
    settings: Any,
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
    from core.registry.api import new_run_id

    run_id = new_run_id()
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=False)
    (run_dir / "config.yaml").write_text(
        f"# resolved config of run {run_id} ({recipe}/{config_name})\n" + yaml.safe_dump(config, sort_keys=False)
    )
    for file_name, content in (extra_files or {}).items():
        (run_dir / file_name).write_text(json.dumps(content, indent=2))
    sha, dirty = git_state()
    return registry.create_run(
        id=run_id, name=name or f"{recipe}-{config_name}-{run_id[-6:]}", recipe=recipe, config_name=config_name,
        config=config, parent_id=parent_id, tags=tags or {}, git_sha=sha, git_dirty=dirty, seed=seed,
        host=socket.gethostname(), world_size=world_size, status="pending", max_steps=max_steps,
        run_dir=str(run_dir),
    )


def mark_running(registry: Any, run_id: str, world_size: int) -> None:
    now = utcnow()
    registry.update_run(run_id, status="running", started=now, heartbeat=now, ended=None, error=None,
                        world_size=world_size)


def mark_ended(registry: Any, run_id: str, status: str, error: str | None = None) -> None:
    registry.update_run(run_id, status=status, ended=utcnow(), heartbeat=utcnow(), error=error)
