"""Train a temporal action localizer (ActivityNet v1.3) on frozen S-ViLM sliding-window features.

Launch through the CLI, which resolves the config, registers the run (parent: the pre-training
run whose frozen video tower gives the features) and runs it:
    sviml run train-localizer --recipe small [init.run=<pretrain run id>] [--nproc N]
or on a run the CLI created: `python -m recipes.train_localizer --run-id ID [--resume]`.
`sviml eval --task tal` writes the validation detections in ActivityNet's submission format and
scores them (and trains a head when no finished one exists).

The loop is written out top to bottom: seed -> snippet features of the train split from the
frozen tower (rank 0 extracts and caches them; the head is the ActionFormer-style head of
`core.heads.localization`) -> DeepSpeed -> (resume) -> steps with logging and checkpoints ->
export of the consolidated fp32 head weights (the frozen towers are named by `init_checkpoint`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from core.errors import UserError
from core.heads.head_recipe import HeadDataConfig, HeadRecipeConfig
from core.heads.localization import LocalizerConfig
from core.heads.snippet_features import SnippetFeatureConfig
from core.registry.schema import RunStatus
from core.train.lifecycle import RunLifecycle, rank_main

if TYPE_CHECKING:
    from core.settings import Settings

NAME = "train_localizer"


class DataConfig(HeadDataConfig):
    dataset: str = "synth-anet"  # a registered activitynet dataset
    split: str = "train"  # ActivityNet's training subset


class TrainLocalizerConfig(HeadRecipeConfig):
    RECIPE, TASK, KINDS = NAME, "tal", ("activitynet",)

    data: DataConfig = Field(default_factory=DataConfig)
    features: SnippetFeatureConfig = Field(default_factory=SnippetFeatureConfig)
    head: LocalizerConfig = Field(default_factory=LocalizerConfig)


Config = TrainLocalizerConfig


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    with RunLifecycle(run_id, settings, TrainLocalizerConfig, show_progress) as life:
        import torch

        from core.data.feature_cache import cache_path, cached, feature_cache_dir, weights_fingerprint
        from core.data.registration import load_registered
        from core.data.tasks.snippets import SnippetDataset
        from core.heads.localization import Localizer
        from core.heads.localization_loss import LocalizerCollate, LocalizerObjective
        from core.heads.snippet_features import extract, feature_key
        from core.train.export import load_exported
        from core.train.rng import rank_seed
        from core.train.steps import forever, optimizer_step, parameter_groups, torch_threads

        cfg, dist = life.config, life.dist
        index = load_registered(life.registry, cfg.data.dataset)
        classes = list(index.classes)
        if not classes:
            raise UserError(f"{cfg.data.dataset} has no labelled action")

        # Snippet features of the train split from the frozen tower: each rank extracts its share of
        # the videos, rank 0 caches them all.
        towers = load_exported(Path(cfg.init.checkpoint), dist.device)
        vcfg = towers.cfg.video
        key = feature_key(weights_fingerprint(Path(cfg.init.checkpoint)), index, cfg.data.split, cfg.features,
                          cfg.head.snippets, vcfg.num_frames, vcfg.image_size)
        path = cache_path(feature_cache_dir(settings), **key)
        t_features = time.perf_counter()

        def compute() -> dict[str, Any]:
            return extract(towers, index, cfg.data.split, cfg.features, cfg.head.snippets, dist.device,
                           workers=cfg.features.workers)

        arrays = cached(path, compute)  # collective: every rank at once
        feature_seconds = time.perf_counter() - t_features
        towers = None  # the frozen tower's work is done: free it before training
        dataset = SnippetDataset(index.split(cfg.data.split), arrays, cfg.head.snippets)

        in_width = int(arrays["features"].shape[-1])
        module = LocalizerObjective(Localizer(cfg.head, in_width, len(classes)))
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))
        loader = life.loader(dataset, workers=0, collate_fn=LocalizerCollate(cfg.head, len(classes)),
                             source=f"{cfg.data.dataset} {cfg.data.split}", unit="readable videos")
        engine, step = life.initialize(module, parameter_groups(module, cfg.train.lr, 1.0, cfg.train.weight_decay), loader, resume)
        _, accumulation = life.batch_layout
        life.info("on %s: %d videos, %d classes; features in %.1f s", cfg.data.dataset, len(dataset), len(classes),
                  feature_seconds)

        batches = forever(loader)
        with torch_threads(1):  # the head's tensors are small: one thread beats a pool's barriers
            while step < cfg.train.max_steps and not life.stopping:
                stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
                step += 1
                life.end_step(step, stats)

        return life.finish(step, cfg.export_config(
            run_id, step, index.kind, head=cfg.head.to_dict(),
            features=cfg.features.to_dict(), classes=classes, in_width=in_width,
        ))


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.train_localizer --run-id ID [--resume]`."""
    return rank_main(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
