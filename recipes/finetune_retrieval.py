"""Fine-tune both S-ViLM towers for text-video retrieval: contrastive on MSR-VTT's 9k train split.

Launch through the CLI, which resolves the config, registers the run (parent: the pre-training
run whose weights it starts from) and runs it:
    sviml run finetune-retrieval --recipe small [init.run=<pretrain run id>] [--nproc N]
or on a run the CLI created: `python -m recipes.finetune_retrieval --run-id ID [--resume]`.
`sviml eval --task retrieval_ft` scores the fine-tuned towers on the 1k-A (test) split (and trains
them when no finished run exists).

The loop is written out top to bottom: seed -> towers from the export -> caption pairs ->
DeepSpeed -> (resume) -> steps with logging and checkpoints -> export of the consolidated fp32
weights as a plain S-ViLM (what every evaluator loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from core.heads.head_recipe import ClipDataConfig, HeadRecipeConfig
from core.registry.schema import RunStatus
from core.train.lifecycle import RunLifecycle, rank_main

if TYPE_CHECKING:
    from core.settings import Settings

NAME = "finetune_retrieval"


class DataConfig(ClipDataConfig):
    dataset: str = "synth-msrvtt"  # a registered msrvtt dataset (its 9k train split)


class FinetuneRetrievalConfig(HeadRecipeConfig):
    RECIPE, TASK, KINDS = NAME, "retrieval", ("msrvtt",)

    data: DataConfig = Field(default_factory=DataConfig)


Config = FinetuneRetrievalConfig


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    with RunLifecycle(run_id, settings, FinetuneRetrievalConfig, show_progress) as life:
        import torch

        from core.data.caches import clip_cache
        from core.data.registration import load_registered
        from core.data.tasks.caption_pairs import CaptionPairs
        from core.heads.freezing import freeze, unused_parameters
        from core.heads.retrieval import RetrievalObjective
        from core.heads.starting_weights import load_towers, model_section
        from core.model.text_encoder import load_tokenizer
        from core.train.export import text_files_of
        from core.train.rng import rank_seed
        from core.train.steps import forever, optimizer_step, parameter_groups

        cfg, dist = life.config, life.dist
        index = load_registered(life.registry, cfg.data.dataset)
        towers = load_towers(cfg.init.checkpoint)
        freeze(unused_parameters(towers, video_embedding=True, text_tower=True, text_embedding=True,
                                 logit_scale=True))
        module = RetrievalObjective(towers, rank=dist.rank, world_size=dist.world_size)
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))

        vcfg = towers.cfg.video
        dataset = CaptionPairs(index, load_tokenizer(towers.cfg.text), split=cfg.data.split,
                               num_frames=vcfg.num_frames, size=vcfg.image_size,
                               max_caption_len=towers.cfg.text.caption_len, seed=cfg.train.seed, flip=cfg.data.flip,
                               scale=(cfg.data.crop_min, 1.0),
                               clip_cache=clip_cache(settings) if cfg.data.cache_decoded else None)
        loader = life.loader(dataset, workers=cfg.data.num_workers, collate_fn=dataset.collate(),
                             source=f"{cfg.data.dataset} {cfg.data.split}", unit="videos")
        engine, step = life.initialize(module, parameter_groups(module, cfg.train.lr, 1.0, cfg.train.weight_decay), loader, resume)
        _, accumulation = life.batch_layout
        life.info("on %s: %d videos", cfg.data.dataset, len(dataset))

        batches = forever(loader)
        while step < cfg.train.max_steps and not life.stopping:
            stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
            step += 1
            life.end_step(step, stats)

        return life.finish(step, cfg.export_config(
            run_id, step, index.kind, model=model_section(cfg.init.checkpoint)
        ), strip="model.", extra=text_files_of(towers))  # a plain S-ViLM, like pre-training's export


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.finetune_retrieval --run-id ID [--resume]`."""
    return rank_main(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
