"""What `sviml eval` evaluates: a registered run's exported weights, or an exported folder.

Results always belong to a run (the registry's `EvalResult.run_id`): a folder that no
registered checkpoint points at gets an `external` run of its own, so its numbers can be
reported and compared like any other run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import UserError
from core.registry.schema import RunStatus

if TYPE_CHECKING:
    from core.registry import Checkpoint, Registry, Run
    from core.settings import Settings


@dataclass
class EvalTarget:
    run: Run  # the run the results belong to
    checkpoint: Checkpoint | None  # its export (kind "export")
    export_dir: Path

    @property
    def eval_dir(self) -> Path:
        return Path(self.run.run_dir) / "eval"


def resolve_target(registry: Registry, settings: Settings, run_id: str | None = None, checkpoint: Path | None = None,
                   recipe: str = "pretrain") -> EvalTarget:
    """`--run ID`, `--checkpoint PATH`, or by default the newest finished run of `recipe`."""
    if run_id and checkpoint:
        raise UserError("give --run or --checkpoint, not both")
    if checkpoint is not None:
        return _from_folder(registry, settings, Path(checkpoint))
    if run_id:
        run = registry.require_run(run_id)
    else:
        run = registry.newest_run(recipe, statuses=(RunStatus.FINISHED,))
        if run is None:
            raise UserError(f"no finished {recipe} run to evaluate: train one (`sviml run {recipe}`) or pass "
                            "--checkpoint PATH")
    exports = registry.list_checkpoints(run.id, kind="export", complete_only=True)
    if not exports:
        raise UserError(f"run {run.id} has no exported weights (status {run.status}): finish or resume it first")
    export = exports[-1]
    return EvalTarget(run=run, checkpoint=export, export_dir=Path(export.path))


def _from_folder(registry: Registry, settings: Settings, folder: Path) -> EvalTarget:
    from core.train.export import CONFIG, WEIGHTS, read_export_config

    folder = folder.resolve()
    if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
        raise UserError(f"{folder} is not an exported model folder ({WEIGHTS} + {CONFIG})")
    config = read_export_config(folder)
    run_id = config.get("run_id")
    run = registry.get_run(run_id) if run_id else None
    if run is not None:
        for checkpoint in registry.list_checkpoints(run.id, kind="export", complete_only=True):
            if Path(checkpoint.path).resolve() == folder:
                return EvalTarget(run=run, checkpoint=checkpoint, export_dir=folder)
    from core.train.run_record import create_run

    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    run = create_run(registry, settings, recipe="external", config_name=folder.name,
                     config={"model": config.get("model", {}), "source": str(folder)}, name=f"external:{folder.name}",
                     world_size=1, seed=0, max_steps=None, tags={"checkpoint": str(folder)})
    registry.set_run_status(run.id, RunStatus.FINISHED)
    checkpoint = registry.add_checkpoint(run_id=run.id, tag="export", step=int(config.get("step", 0)),
                                         path=str(folder), kind="export", complete=True, bytes=size)
    return EvalTarget(run=registry.require_run(run.id), checkpoint=checkpoint, export_dir=folder)
