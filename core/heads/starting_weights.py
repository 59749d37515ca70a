"""Where a task head's towers come from: a pre-training run's exported weights, or an export folder.

Every head recipe has an `init` section: `init.run` (a run id, or `latest` for the newest
finished pre-training run) or `init.checkpoint` (an exported model folder). `resolve_init`
turns either into both, so that a head run's saved config names the exact weights it started
from (`init.checkpoint`) and the run they belong to (`init.run`, the head run's parent).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from core.config import ConfigModel
from core.errors import UserError
from core.registry.schema import RunStatus

if TYPE_CHECKING:
    from core.model.svilm import SViLM
    from core.registry import Registry

LATEST = "latest"


class InitConfig(ConfigModel):
    """The pre-trained weights a head starts from (filled in by `resolve_init`)."""

    run: str | None = None  # a run id, or "latest": the newest finished pretrain run
    checkpoint: str | None = None  # an exported model folder (model.safetensors + config.json)

    @model_validator(mode="after")
    def _named(self) -> InitConfig:
        if not self.run and not self.checkpoint:
            raise ValueError("init.run or init.checkpoint is required: the pre-trained weights the head starts from "
                             "(e.g. init.run=latest)")
        return self


def resolve_init(init: InitConfig, registry: Registry) -> InitConfig:
    """The run id and export folder of `init`; a user error when either is missing or unfinished."""
    from core.train.export import CONFIG, WEIGHTS, read_export_config

    if init.checkpoint:
        folder = Path(init.checkpoint).expanduser().resolve()
        if not (folder / WEIGHTS).is_file() or not (folder / CONFIG).is_file():
            raise UserError(f"init.checkpoint {folder} is not an exported model folder ({WEIGHTS} + {CONFIG})")
        run_id = init.run
        if run_id is None:
            named = read_export_config(folder).get("run_id")
            run_id = named if named and registry.get_run(named) is not None else None
        return InitConfig(run=run_id, checkpoint=str(folder))
    if init.run == LATEST:
        run = registry.newest_run("pretrain", statuses=(RunStatus.FINISHED,))
        if run is None:
            raise UserError("init.run=latest: no finished pretrain run (train one with `sviml run pretrain`)")
    else:
        run = registry.require_run(init.run)
    exports = registry.list_checkpoints(run.id, kind="export", complete_only=True)
    if not exports:
        raise UserError(f"init.run {run.id} has no exported weights (status {run.status}): finish it first")
    return InitConfig(run=run.id, checkpoint=str(Path(exports[-1].path).resolve()))


def load_towers(export_dir: str | Path) -> SViLM:
    """The pre-trained dual encoder to fine-tune (train mode, on the CPU)."""
    from core.train.export import load_exported

    return load_exported(Path(export_dir)).train()


def model_section(export_dir: str | Path) -> dict[str, Any]:
    """The resolved model config (with its preset) saved beside the exported weights."""
    from core.train.export import read_export_config

    return dict(read_export_config(Path(export_dir))["model"])
