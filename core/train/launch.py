"""Starting a run's worker processes: torchrun (several processes on this machine) or DeepSpeed's
launcher (a hostfile of nodes), and the `RecipeLauncher` protocol that code below the CLI uses to
start recipes by name without importing them (`recipes.launch.Launcher` implements it).

The CLI creates the run row first (so a run that fails to start is still recorded), then the
recipe's processes pick it up by id. If they die without recording an end, `spawn` marks the run
failed with their exit code. Ctrl-C reaches the workers as SIGTERM: they agree on a step, save a
final checkpoint and mark the run `interrupted`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import UserError
from core.registry.schema import RunStatus
from core.train.lifecycle import exit_code

if TYPE_CHECKING:
    from core.registry import Run
    from core.settings import Settings
    from core.train.config import RecipeConfig


class RecipeLauncher(Protocol):
    """Creates and runs recipe runs by name (what `sviml run`, `sviml eval`'s heads and ablations use)."""

    def load_config(self, recipe: str, config: str, overrides: Mapping[str, Any]) -> RecipeConfig:
        """The recipe's named config with overrides, validated."""

    def create(self, recipe: str, config: str, overrides: Mapping[str, Any], world_size: int, *,
               name: str | None = None, parent_id: str | None = None,
               tags: Mapping[str, Any] | None = None) -> Run:
        """Validate, check readiness and register a `pending` run with its folder."""

    def execute(self, run: Run, nproc: int = 1, hostfile: Path | None = None, resume: bool = False,
                show_progress: bool = True) -> int:
        """Train `run` (in this process when `nproc` is 1); returns an exit code (0, 1 or 130)."""


def spawn(module: str, run: Run, settings: Settings, nproc: int, hostfile: Path | None, resume: bool) -> int:
    """Run `python -m <module> --run-id ID` on `nproc` processes per node; returns an exit code."""
    from core.registry import Registry
    from core.train.distributed import free_port

    args = ["--run-id", run.id] + (["--resume"] if resume else [])
    if hostfile is None:
        command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
                   f"--master_port={free_port()}", "-m", module, *args]
    else:
        if not hostfile.is_file():
            raise UserError(f"hostfile not found: {hostfile}")
        command = [sys.executable, "-m", "deepspeed.launcher.runner", "--hostfile", str(hostfile),
                   f"--num_gpus={nproc}", f"--master_port={free_port()}", "--module", module, *args]
    env = dict(os.environ, SVIML_HOME=str(settings.home), SVIML_DB_URL=settings.database_url)
    if settings.resolved_device() == "cpu":
        env.setdefault("DS_ACCELERATOR", "cpu")
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    # Own session: a terminal's Ctrl-C reaches only us; we pass it on as SIGTERM, which the
    # workers turn into a final checkpoint instead of dying mid-step.
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
    registry = Registry.from_settings(settings)
    final = registry.require_run(run.id)
    if final.status in (RunStatus.PENDING, RunStatus.RUNNING):
        registry.set_run_status(run.id, RunStatus.FAILED, error=f"worker processes exited with code {code}")
        return 1
    return exit_code(final.status)
