"""What every task-head recipe's config shares, and its readiness check.

A head recipe trains on one registered dataset of the right kind, from the towers its `init`
section names (`core.heads.starting_weights`). Its `train` section refuses pre-training's
`compile` switch (`HeadTrainConfig`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from core.config import ConfigModel
from core.errors import UserError
from core.heads.starting_weights import InitConfig, resolve_init
from core.train.config import HeadTrainConfig, RecipeConfig

if TYPE_CHECKING:
    from core.registry import Registry


class HeadDataConfig(ConfigModel):
    """The registered dataset a head trains on."""

    dataset: str  # a registered dataset of the recipe's kinds
    split: str = "train"


class ClipDataConfig(HeadDataConfig):
    """A dataset read as clips: workers, augmentation and the decoded-clip cache."""

    num_workers: int = Field(1, ge=0)  # DataLoader worker processes per rank
    flip: float = Field(0.0, ge=0, le=1)  # [choice] horizontal flips swap left and right, which some texts name
    crop_min: float = Field(0.5, gt=0, le=1)  # random resized crops keep at least this share of the frame
    cache_decoded: bool = True  # keep decoded clips on disk (cheap epochs on small data)


class TuneConfig(ConfigModel):
    """How the pre-trained towers are fine-tuned next to the new head."""

    tower_lr_scale: float = Field(0.1, ge=0)  # the towers learn at train.lr x this; the head at train.lr


class HeadRecipeConfig(RecipeConfig):
    """A head recipe's config: where its towers come from, its dataset and a `train` without `compile`.

    Each recipe's subclass names itself and the dataset kinds it trains on (`RECIPE`, `KINDS`).
    """

    RECIPE: ClassVar[str]
    TASK: ClassVar[str]  # the `task` its exports declare (what `core.heads.export` builds)
    KINDS: ClassVar[tuple[str, ...]]

    init: InitConfig  # required: a head without pre-trained towers is not what these recipes train
    data: HeadDataConfig
    train: HeadTrainConfig = Field(default_factory=HeadTrainConfig)

    def check_ready(self, registry: Registry) -> None:
        """Fail before any work on an unregistered or wrong-kind dataset or missing weights; fills in
        `init` (run id and export folder), so the saved config names the exact starting weights."""
        dataset = registry.require_dataset(self.data.dataset)
        if dataset.kind not in self.KINDS:
            article = "an" if self.KINDS[0][0] in "aeio" else "a"  # "a ucf101", "an activitynet"
            raise UserError(f"{self.RECIPE} needs {article} {' or '.join(self.KINDS)} dataset; "
                            f"{dataset.name} is {dataset.kind}")
        self.init = resolve_init(self.init, registry)

    def run_tags(self) -> dict[str, Any]:
        """What head-run lookups and reports group a head run by: its dataset."""
        return {"dataset": self.data.dataset}

    def parent_run(self) -> str | None:
        """The pre-training run a head starts from (the head run's parent)."""
        return self.init.run

    def export_config(self, run_id: str, step: int, dataset_kind: str, **extra: Any) -> dict[str, Any]:
        """What every head export's `config.json` says: the task, the run and its parent, the starting
        weights and the dataset; `extra` adds the head's own (its config, classes or answers, ...)."""
        return {"task": self.TASK, "recipe": self.RECIPE, "run_id": run_id, "parent_id": self.init.run,
                "step": step, "init_checkpoint": self.init.checkpoint, "dataset": self.data.dataset,
                "dataset_kind": dataset_kind, **extra}
