"""Starting a recipe's run: in this process (one process), through torchrun (several processes
on this machine) or DeepSpeed's launcher (a hostfile of nodes).

The CLI creates the run row first (so a run that fails to start is still recorded), then the
recipe's processes pick it up by id. If they die without recording an end, the launcher marks
the run failed with their exit code. Ctrl-C reaches the workers as SIGTERM: they agree on a
step, save a final checkpoint and mark the run `interrupted`.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from core.errors import UserError

UNFINISHED = ("pending", "running", "failed", "interrupted")


def recipe_module(recipe: str) -> ModuleType:
    from recipes import RECIPES

    if recipe not in RECIPES:
        raise UserError(f"unknown recipe {recipe!r}; recipes: {', '.join(RECIPES)}")
    return importlib.import_module(RECIPES[recipe][0])


def create(
    registry: Any,
    settings: Any,
    recipe: str,
    config: str,
    overrides: dict[str, Any],
    world_size: int,
    name: str | None = None,
    parent_id: str | None = None,
    tags: dict[str, Any] | None = None,
):
    """Resolve and validate the config, then register a `pending` run and write its folder."""
    from core.train.run_record import create_run
    from recipes import config_path

    module = recipe_module(recipe)
    path = config_path(recipe, config)
    cfg = module.load_config(path, overrides)
    module.check_ready(cfg, registry)
    tree = module.config_to_dict(cfg)
    if parent_id is None and hasattr(module, "parent_run"):  # a task head: its pre-training run
        parent_id = module.parent_run(cfg)
    ds_config = module.deepspeed_json(cfg, world_size, settings.resolved_device())
    return create_run(
        registry, settings, recipe=recipe, config_name=path.stem, config=tree, name=name, world_size=world_size,
        seed=cfg.train.seed, max_steps=cfg.train.max_steps, parent_id=parent_id,
        tags={**module.run_tags(cfg), **(tags or {})}, extra_files={"ds_config.json": ds_config},
    )


def find_resumable(registry: Any, recipe: str, run_id: str | None):
    """The run to resume: `run_id`, or the newest unfinished run of `recipe`."""
    if run_id:
        run = registry.require_run(run_id)
        if run.recipe != recipe:
            raise UserError(f"run {run_id} is a {run.recipe} run, not {recipe}")
    else:
        run = registry.newest_run(recipe, statuses=UNFINISHED)
        if run is None:
            raise UserError(f"no unfinished {recipe} run to resume (see `sviml runs ls`)")
    if run.status == "finished":
        raise UserError(f"run {run.id} already finished")
    return run


def execute(run: Any, settings: Any, nproc: int, hostfile: Path | None, resume: bool) -> int:
    """Run the recipe for `run`; returns an exit code (0 finished, 1 failed, 130 interrupted)."""
    module = recipe_module(run.recipe)
    if nproc == 1 and hostfile is None:
        status = module.train(run.id, settings, resume=resume)
        return {"finished": 0, "interrupted": 130}.get(status, 1)
    return _spawn(run, settings, nproc, hostfile, resume)


def _spawn(run: Any, settings: Any, nproc: int, hostfile: Path | None, resume: bool) -> int:
    from core.registry import Registry
    from core.train.distributed import free_port
    from core.train.run_record import mark_ended
    from recipes import RECIPES

    module_name = RECIPES[run.recipe][0]
    args = ["--run-id", run.id] + (["--resume"] if resume else [])
    if hostfile is None:
        command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
                   f"--master_port={free_port()}", "-m", module_name, *args]
    else:
        if not hostfile.is_file():
            raise UserError(f"hostfile not found: {hostfile}")
        command = [sys.executable, "-m", "deepspeed.launcher.runner", "--hostfile", str(hostfile),
                   f"--num_gpus={nproc}", f"--master_port={free_port()}", "--module", module_name, *args]
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
    if final.status in ("pending", "running"):
        mark_ended(registry, run.id, "failed", error=f"worker processes exited with code {code}")
        return 1
    return {"finished": 0, "interrupted": 130}.get(final.status, 1)
