"""Fine-tune S-ViLM for action recognition (UCF101, HMDB51 split 1): the video tower and a linear classifier.

Launch through the CLI, which resolves the config, registers the run (parent: the pre-training
run whose weights it starts from) and runs it:
    sviml run finetune-action --recipe small [init.run=<pretrain run id>] [data.dataset=synth-hmdb] [--nproc N]
or on a run the CLI created: `python -m recipes.finetune_action --run-id ID [--resume]`.
`sviml eval --task action_ft` scores the finished model on the test split with multi-view testing
(and trains one when none exists).

The loop is written out top to bottom: seed -> towers from the export + classifier -> data ->
DeepSpeed -> (resume) -> steps with logging and checkpoints -> export of the consolidated fp32
weights (towers + classifier) with the class names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from core.heads.action import ActionHeadConfig
from core.heads.head_recipe import ClipDataConfig, HeadRecipeConfig, TuneConfig
from core.registry.schema import RunStatus
from core.train.lifecycle import RunLifecycle, rank_main

if TYPE_CHECKING:
    from core.settings import Settings

NAME = "finetune_action"


class DataConfig(ClipDataConfig):
    dataset: str = "synth-ucf"  # a registered ucf101 or hmdb51 dataset
    flip: float = Field(0.0, ge=0, le=1)  # [choice] horizontal flips swap left and right, which some classes name
    jitter: bool = False  # random frame positions within each segment (disables the decoded-clip cache)


class FinetuneActionConfig(HeadRecipeConfig):
    RECIPE, TASK, KINDS = NAME, "action", ("ucf101", "hmdb51")

    data: DataConfig = Field(default_factory=DataConfig)
    head: ActionHeadConfig = Field(default_factory=ActionHeadConfig)
    tune: TuneConfig = Field(default_factory=TuneConfig)


Config = FinetuneActionConfig


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    with RunLifecycle(run_id, settings, FinetuneActionConfig, show_progress) as life:
        import torch

        from core.data.caches import clip_cache
        from core.data.registration import load_registered
        from core.data.tasks.action import ActionDataset
        from core.data.transforms import TrainTransform
        from core.heads.action import ActionClassifier, ActionModel
        from core.heads.freezing import freeze, unused_parameters
        from core.heads.starting_weights import load_towers, model_section
        from core.train.export import text_files_of
        from core.train.rng import rank_seed
        from core.train.steps import forever, optimizer_step, parameter_groups

        cfg, dist = life.config, life.dist
        index = load_registered(life.registry, cfg.data.dataset)
        classes = list(index.classes)
        towers = load_towers(cfg.init.checkpoint)
        freeze(unused_parameters(towers, video_embedding=False, text_tower=False, text_embedding=False,
                                 logit_scale=False))
        vcfg = towers.cfg.video
        module = ActionModel(towers, ActionClassifier(cfg.head, vcfg.width, vcfg.num_frames // vcfg.tubelet,
                                                      len(classes)))
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))

        cache = clip_cache(settings) if cfg.data.cache_decoded and not cfg.data.jitter else None
        dataset = ActionDataset(index, split=cfg.data.split, num_frames=vcfg.num_frames, size=vcfg.image_size,
                                train=True, seed=cfg.train.seed, jitter=cfg.data.jitter, clip_cache=cache)
        dataset.train_transform = TrainTransform(vcfg.image_size, scale=(cfg.data.crop_min, 1.0), flip=cfg.data.flip)
        dataset.samples = [s for s in dataset.samples if s.label is not None]  # unlabelled lines cannot train
        loader = life.loader(dataset, workers=cfg.data.num_workers, collate_fn=None,
                             source=f"{cfg.data.dataset} {cfg.data.split}", unit="videos")
        parameters = parameter_groups(module, cfg.train.lr, cfg.tune.tower_lr_scale, cfg.train.weight_decay)
        engine, step = life.initialize(module, parameters, loader, resume)
        _, accumulation = life.batch_layout
        life.info("on %s: %d videos, %d classes", cfg.data.dataset, len(dataset), len(classes))

        batches = forever(loader)
        while step < cfg.train.max_steps and not life.stopping:
            stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
            step += 1
            life.end_step(step, stats)

        return life.finish(step, cfg.export_config(
            run_id, step, index.kind, model=model_section(cfg.init.checkpoint), head=cfg.head.to_dict(), classes=classes
        ), extra=text_files_of(towers))


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.finetune_action --run-id ID [--resume]`."""
    return rank_main(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
