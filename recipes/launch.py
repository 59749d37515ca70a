"""Starting recipes by name: resolve and validate the config, register the run, train it.

`Launcher` implements `core.train.launch.RecipeLauncher`, the protocol through which code in
`core` (task heads inside `sviml eval`, ablation studies) starts recipes without importing
`recipes`: the CLI builds one and passes it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.registry.schema import UNFINISHED, RunStatus
from core.train.config import RecipeConfig, deepspeed_config
from core.train.launch import spawn
from core.train.lifecycle import exit_code
from recipes import RECIPES, config_path, load_recipe, load_recipe_config

if TYPE_CHECKING:
    from core.registry import Registry, Run
    from core.settings import Settings


class Launcher:
    """Creates and runs recipe runs against one registry and settings."""

    def __init__(self, settings: Settings, registry: Registry):
        self.settings = settings
        self.registry = registry

    def load_config(self, recipe: str, config: str, overrides: Mapping[str, Any] | list[str]) -> RecipeConfig:
        return load_recipe_config(recipe, config, overrides)

    def create(self, recipe: str, config: str, overrides: Mapping[str, Any] | list[str], world_size: int, *,
               name: str | None = None, parent_id: str | None = None,
               tags: Mapping[str, Any] | None = None) -> Run:
        """Resolve and validate the config, check its data and weights, then register a `pending` run
        and write its folder (config.yaml, ds_config.json)."""
        from core.train.run_record import create_run

        path = config_path(recipe, config)
        cfg = load_recipe_config(recipe, config, overrides)
        cfg.check_ready(self.registry)
        ds_config = deepspeed_config(cfg.train, world_size, self.settings.resolved_device())
        return create_run(
            self.registry, self.settings, recipe=recipe, config_name=path.stem, config=cfg.to_dict(), name=name,
            world_size=world_size, seed=cfg.train.seed, max_steps=cfg.train.max_steps,
            parent_id=parent_id if parent_id is not None else cfg.parent_run(),
            tags={**cfg.run_tags(), **(tags or {})}, extra_files={"ds_config.json": ds_config},
        )

    def find_resumable(self, recipe: str, run_id: str | None) -> Run:
        """The run to resume: `run_id`, or the newest unfinished run of `recipe`."""
        if run_id:
            run = self.registry.require_run(run_id)
            if run.recipe != recipe:
                raise UserError(f"run {run_id} is a {run.recipe} run, not {recipe}")
        else:
            found = self.registry.newest_run(recipe, statuses=UNFINISHED)
            if found is None:
                raise UserError(f"no unfinished {recipe} run to resume (see `sviml runs ls`)")
            run = found
        if run.status == RunStatus.FINISHED:
            raise UserError(f"run {run.id} already finished")
        return run

    def execute(self, run: Run, nproc: int = 1, hostfile: Path | None = None, resume: bool = False,
                show_progress: bool = True) -> int:
        """Train `run`: in this process (one process), else through torchrun or DeepSpeed's launcher."""
        if nproc == 1 and hostfile is None:
            status = load_recipe(run.recipe).train(run.id, self.settings, resume=resume, show_progress=show_progress)
            return exit_code(status)
        return spawn(RECIPES[run.recipe][0], run, self.settings, nproc, hostfile, resume)
