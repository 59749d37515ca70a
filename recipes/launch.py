"""Starting recipes by name: resolve and validate the config, register the run, train it.

`Launcher` implements `core.train.launch.RecipeLauncher`, the protocol through which code in
`core` (task heads inside `sviml eval`, ablation studies) starts recipes without importing
`recipes`: the CLI builds one and passes it down.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.registry.schema import UNFINISHED, RunStatus
from core.train.config import RecipeConfig, deepspeed_config
from core.train.launch import LaunchPlan, join_run, spawn_run
from core.train.lifecycle import exit_code
from core.train.ownership import ProcessId, claim, release
from recipes import RECIPES, config_path, load_recipe, load_recipe_config

if TYPE_CHECKING:
    from core.registry import Registry, Run
    from core.settings import Settings


class Launcher:
    """Creates and runs recipe runs against one registry and settings."""

    def __init__(self, settings: Settings, registry: Registry,
                 say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)):
        self.settings = settings
        self.registry = registry
        self.say = say  # where the launcher's own messages go (a lease taken over, ...)

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

    def execute(self, run: Run, plan: LaunchPlan = LaunchPlan(), resume: bool = False,
                show_progress: bool = True) -> int:
        """Train `run` as `plan` says: in this process (one process), else through torchrun, DeepSpeed's
        launcher or srun. The run's lease is held meanwhile: a run whose workers live is refused."""
        from core.data.sharding import is_main

        owner = claim(self.registry, run, self.say) if not plan.joined or is_main() else None
        try:
            if plan.in_process:
                status = load_recipe(run.recipe).train(run.id, self.settings, resume=resume,
                                                       show_progress=show_progress)
                return exit_code(status)
            return spawn_run(RECIPES[run.recipe][0], run, self.settings, plan, resume, owner)
        finally:
            if owner is not None:
                release(self.registry, run.id, owner)

    def join(self, recipe: str, plan: LaunchPlan, resume: bool) -> int:
        """This node's workers of a run node rank 0 creates (`--node-rank R` with R > 0); its exit code."""
        return join_run(RECIPES[recipe][0], self.settings, plan, resume, ProcessId.this())
