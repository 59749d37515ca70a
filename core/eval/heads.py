"""Task heads inside `sviml eval`: find a finished head run of the evaluated checkpoint, or train one.

A head run belongs to the checkpoint it was trained from: its recipe, its `parent_id` (the
evaluated run), its `tags.dataset` and its `init.checkpoint` (the export folder) must all match.
With `options.reuse_heads` the newest such finished run is reused; otherwise (or when there is
none) a new one is created and trained in this process (one process, the head config named like
the pre-trained model's preset: tiny -> tiny, small -> small, base/base16 -> base), with
`options.head_steps` overriding its step count. Either way the evaluator then scores the head
run's exported weights.
"""

from __future__ import annotations

import logging
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.console import stdout_to_stderr
from core.errors import UserError
from core.eval.context import EvalContext
from core.registry.schema import RunStatus

if TYPE_CHECKING:
    from core.registry import Registry, Run

log = logging.getLogger("sviml.eval")

# Pre-trained model preset -> the head config trained on it.
HEAD_CONFIGS = {"tiny": "tiny", "small": "small", "base": "base", "base16": "base"}


def head_config_name(ctx: EvalContext) -> str:
    """The head config matching the evaluated model's preset (small when the preset is unknown)."""
    from core.train.export import read_export_config

    preset = read_export_config(ctx.target.export_dir).get("model", {}).get("preset")
    return HEAD_CONFIGS.get(preset, "small")


def head_export(registry: Registry, run: Run) -> Path:
    exports = registry.list_checkpoints(run.id, kind="export", complete_only=True)
    if not exports:
        raise RuntimeError(f"head run {run.id} has no exported weights")
    return Path(exports[-1].path)


def find_head_run(registry: Registry, recipe: str, parent_id: str, export_dir: Path, dataset: str,
                  max_steps: int | None = None) -> Run | None:
    """The newest finished `recipe` run trained from `export_dir` of run `parent_id` on `dataset`."""
    wanted = Path(export_dir).resolve()
    for run in registry.list_runs(recipe=recipe, status=RunStatus.FINISHED):
        init = (run.config or {}).get("init", {})
        if run.parent_id != parent_id or (run.tags or {}).get("dataset") != dataset:
            continue
        if not init.get("checkpoint") or Path(init["checkpoint"]).resolve() != wanted:
            continue
        if max_steps is not None and run.config.get("train", {}).get("max_steps") != max_steps:
            continue
        if registry.list_checkpoints(run.id, kind="export", complete_only=True):
            return run
    return None


def train_head(ctx: EvalContext, recipe: str, dataset: str) -> Run:
    """Create a head run of the evaluated checkpoint on `dataset` and train it here: in this process,
    or on every rank of a distributed evaluation together (rank 0 registers it)."""
    from core.data.sharding import eval_rank
    from core.train.distributed import barrier, broadcast_object
    from core.train.launch import LaunchPlan

    if ctx.launcher is None:
        raise RuntimeError(f"{recipe}: no recipe launcher to train a head with (pass one to evaluate_all)")
    config = head_config_name(ctx)
    overrides: dict[str, Any] = {"init.run": ctx.target.run.id, "init.checkpoint": str(ctx.target.export_dir),
                                 "data.dataset": dataset}
    steps = ctx.options.head_steps
    if steps is not None:
        base = ctx.launcher.load_config(recipe, config, overrides)
        overrides.update({"train.max_steps": steps, "train.warmup_steps": min(base.train.warmup_steps, steps // 2),
                          "train.save_every": steps})
    rank, world = eval_rank()
    created, problem = None, None
    if rank == 0:
        try:
            created = ctx.launcher.create(recipe, config, overrides, world_size=world,
                                          name=f"{recipe}-{dataset}-{ctx.target.run.id[-6:]}",
                                          parent_id=ctx.target.run.id).id
        except UserError as err:
            problem = str(err)
    created, problem = broadcast_object((created, problem))
    if problem is not None:
        raise UserError(problem)
    run = ctx.registry.require_run(created)
    log.info("training head run %s (%s/%s) on %s", run.id, recipe, config, dataset)
    with stdout_to_stderr():
        code = ctx.launcher.execute(run, LaunchPlan(joined=world > 1), show_progress=ctx.options.show_progress)
    barrier()  # rank 0 records the end: read it after it has
    final = ctx.registry.require_run(run.id)
    if code != 0 or final.status != RunStatus.FINISHED:
        raise RuntimeError(f"head run {run.id} ({recipe}) ended {final.status}" + (f": {final.error}" if final.error else ""))
    return final


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (DataLoader workers), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def head_run_for(ctx: EvalContext, recipe: str, dataset: str) -> tuple[Run, dict[str, float]]:
    """A finished head run of the evaluated checkpoint on `dataset` (reused or freshly trained), and
    how long training it took here ({} when reused)."""
    if ctx.options.reuse_heads:
        from core.data.sharding import is_main
        from core.train.distributed import broadcast_object

        found = find_head_run(ctx.registry, recipe, ctx.target.run.id, ctx.target.export_dir, dataset,
                              ctx.options.head_steps) if is_main() else None
        found_id = broadcast_object(found.id if found is not None else None)  # rank 0 decides for all
        run = ctx.registry.require_run(found_id) if found_id is not None else None
        if run is not None:
            log.info("reusing head run %s (%s) on %s", run.id, recipe, dataset)
            return run, {}
    wall, cpu = time.perf_counter(), cpu_seconds()
    run = train_head(ctx, recipe, dataset)
    return run, {"head_train_wall_s": round(time.perf_counter() - wall, 1),
                 "head_train_cpu_s": round(cpu_seconds() - cpu, 1)}


def head_protocol(run: Run) -> dict[str, Any]:
    """What every head result's protocol says about the head run."""
    return {"head_run": run.id, "head_config": run.config_name, "head_steps": run.step}
