"""Fine-tune S-ViLM for open-ended video QA (MSRVTT-QA, MSVD-QA): a fusion head, towers end to end.

Launch through the CLI, which resolves the config, registers the run (parent: the pre-training
run whose weights it starts from) and runs it:
    sviml run finetune-qa --recipe small [init.run=<pretrain run id>] [data.dataset=synth-msvd-qa] [--nproc N]
or on a run the CLI created: `python -m recipes.finetune_qa --run-id ID [--resume]`.
`sviml eval --task qa` scores the finished head on the test split (and trains one when none exists).

The loop is written out top to bottom: seed -> towers from the export + fusion head -> answer
vocabulary -> data -> DeepSpeed -> (resume) -> steps with logging and checkpoints -> export of
the consolidated fp32 weights (towers + head) with the vocabulary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from core.heads.head_recipe import ClipDataConfig, HeadRecipeConfig, TuneConfig
from core.heads.qa import QAHeadConfig
from core.heads.vocab import VocabConfig
from core.registry.schema import RunStatus
from core.train.lifecycle import RunLifecycle, rank_main

if TYPE_CHECKING:
    from core.settings import Settings

NAME = "finetune_qa"


class DataConfig(ClipDataConfig):
    dataset: str = "synth-msrvtt-qa"  # a registered msrvtt-qa or msvd-qa dataset
    cache_decoded: bool = True  # keep decoded clips on disk (several questions share a video)


class FinetuneQAConfig(HeadRecipeConfig):
    RECIPE, TASK, KINDS = NAME, "qa", ("msrvtt-qa", "msvd-qa")

    data: DataConfig = Field(default_factory=DataConfig)
    vocab: VocabConfig = Field(default_factory=VocabConfig)
    head: QAHeadConfig = Field(default_factory=QAHeadConfig)
    tune: TuneConfig = Field(default_factory=TuneConfig)


Config = FinetuneQAConfig


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    with RunLifecycle(run_id, settings, FinetuneQAConfig, show_progress) as life:
        import torch

        from core.data.caches import clip_cache
        from core.data.registration import load_registered
        from core.data.tasks.qa import QADataset
        from core.data.transforms import TrainTransform
        from core.heads.freezing import freeze, unused_parameters
        from core.heads.qa import QAFusionHead, QAModel
        from core.heads.starting_weights import load_towers, model_section
        from core.heads.vocab import answer_vocabulary
        from core.model.text_encoder import load_tokenizer
        from core.train.export import text_files_of
        from core.train.rng import rank_seed
        from core.train.steps import forever, optimizer_step, parameter_groups

        cfg, dist = life.config, life.dist
        index = load_registered(life.registry, cfg.data.dataset)
        answers = answer_vocabulary(index.split(cfg.data.split), cfg.vocab.rule(index.kind), index.answers)
        towers = load_towers(cfg.init.checkpoint)
        freeze(unused_parameters(towers, video_embedding=False, text_tower=True, text_embedding=False,
                                 logit_scale=False))
        module = QAModel(towers, QAFusionHead(cfg.head, towers.video.cfg.width, towers.text.width, len(answers)))
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))

        vcfg = towers.cfg.video
        dataset = QADataset(index, load_tokenizer(towers.cfg.text), answers, split=cfg.data.split,
                            num_frames=vcfg.num_frames, size=vcfg.image_size, train=True, seed=cfg.train.seed,
                            max_question_len=towers.cfg.text.caption_len,
                            clip_cache=clip_cache(settings) if cfg.data.cache_decoded else None)
        dataset.train_transform = TrainTransform(vcfg.image_size, scale=(cfg.data.crop_min, 1.0), flip=cfg.data.flip)
        # Questions whose answer the classifier cannot give teach nothing: train on the others.
        known = set(answers)
        dataset.samples = [s for s in dataset.samples if s.answer in known]
        loader = life.loader(dataset, workers=cfg.data.num_workers, collate_fn=dataset.collate(),
                             source=f"{cfg.data.dataset} {cfg.data.split}", unit="questions")
        parameters = parameter_groups(module, cfg.train.lr, cfg.tune.tower_lr_scale, cfg.train.weight_decay)
        engine, step = life.initialize(module, parameters, loader, resume)
        _, accumulation = life.batch_layout
        life.info("on %s: %d questions, %d answers", cfg.data.dataset, len(dataset), len(answers))

        batches = forever(loader)
        while step < cfg.train.max_steps and not life.stopping:
            stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
            step += 1
            life.end_step(step, stats)

        return life.finish(step, cfg.export_config(
            run_id, step, index.kind, model=model_section(cfg.init.checkpoint), head=cfg.head.to_dict(), answers=answers
        ), extra=text_files_of(towers))


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.finetune_qa --run-id ID [--resume]`."""
    return rank_main(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
