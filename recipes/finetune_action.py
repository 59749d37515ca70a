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

import argparse
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import apply_overrides, load_yaml, parse_overrides
from core.errors import UserError
from core.heads.action import ActionHeadConfig
from core.heads.init import InitConfig, resolve_init, validate_init
from core.model.config import from_dict, to_dict
from core.train.config import TrainConfig, deepspeed_config

RECIPE = "finetune_action"
TASK = "action"
KINDS = ("ucf101", "hmdb51")
SECTIONS = ("description", "init", "data", "head", "tune", "train")


@dataclass
class DataConfig:
    dataset: str = "synth-ucf"  # a registered ucf101 or hmdb51 dataset
    split: str = "train"
    num_workers: int = 1  # DataLoader worker processes per rank
    flip: float = 0.0  # [choice] horizontal flips swap left and right, which some classes name
    jitter: bool = False  # random frame positions within each segment (disables the decoded-clip cache)
    crop_min: float = 0.5  # random resized crops keep at least this share of the frame
    cache_decoded: bool = True  # keep decoded clips on disk (cheap epochs on small data)


@dataclass
class TuneConfig:
    """How the pre-trained towers are fine-tuned next to the new head."""

    tower_lr_scale: float = 0.1  # the video tower learns at train.lr x this; the classifier at train.lr


@dataclass
class FinetuneActionConfig:
    description: str = ""
    init: InitConfig = field(default_factory=InitConfig)
    data: DataConfig = field(default_factory=DataConfig)
    head: ActionHeadConfig = field(default_factory=ActionHeadConfig)
    tune: TuneConfig = field(default_factory=TuneConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# -- config --------------------------------------------------------------------------------


def config_from_dict(tree: dict[str, Any]) -> FinetuneActionConfig:
    unknown = sorted(set(tree) - set(SECTIONS))
    if unknown:
        raise UserError(f"unknown config section(s): {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
    cfg = from_dict(FinetuneActionConfig, dict(tree))
    validate_init(cfg.init)
    cfg.head.validate()
    cfg.train.validate(can_compile=False)
    if cfg.tune.tower_lr_scale < 0:
        raise UserError("tune.tower_lr_scale must be >= 0")
    if cfg.data.num_workers < 0 or not 0 <= cfg.data.flip <= 1 or not 0 < cfg.data.crop_min <= 1:
        raise UserError("data.num_workers must be >= 0, data.flip within [0, 1] and data.crop_min within (0, 1]")
    return cfg


def load_config(path: Path, overrides: dict[str, Any] | list[str]) -> FinetuneActionConfig:
    """YAML + overrides -> validated config (what `sviml recipes validate` runs too)."""
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    return config_from_dict(apply_overrides(load_yaml(path), overrides, SECTIONS))


def config_to_dict(cfg: FinetuneActionConfig) -> dict[str, Any]:
    return to_dict(cfg)


def deepspeed_json(cfg: FinetuneActionConfig, world_size: int, device_type: str) -> dict[str, Any]:
    return deepspeed_config(cfg.train, world_size, device_type)


def run_tags(cfg: FinetuneActionConfig) -> dict[str, Any]:
    return {"dataset": cfg.data.dataset}


def check_ready(cfg: FinetuneActionConfig, registry: Any) -> None:
    """Fail before any work on an unregistered or wrong-kind dataset or missing weights; fills in
    `init` (run id and export folder), so the saved config names the exact starting weights."""
    dataset = registry.require_dataset(cfg.data.dataset)
    if dataset.kind not in KINDS:
        raise UserError(f"{RECIPE} needs a {' or '.join(KINDS)} dataset; {dataset.name} is {dataset.kind}")
    cfg.init = resolve_init(cfg.init, registry)


def parent_run(cfg: FinetuneActionConfig) -> str | None:
    """The pre-training run this head starts from (the head run's parent)."""
    return cfg.init.run


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Any, resume: bool = False, show_progress: bool = True) -> str:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    import deepspeed
    import torch

    from core.data.caches import clip_cache
    from core.data.loader import build_pretrain_loader
    from core.data.registration import load_registered
    from core.data.tasks.action import ActionDataset
    from core.data.transforms import TrainTransform
    from core.heads.action import ActionClassifier, ActionModel
    from core.heads.freezing import freeze, unused_parameters
    from core.heads.init import load_towers, model_section
    from core.registry import Registry
    from core.train import safe_load
    from core.train.checkpoint import CheckpointManager
    from core.train.distributed import any_rank, init_distributed
    from core.train.logger import TrainLogger
    from core.train.rng import rank_seed, seed_everything
    from core.train.run_record import mark_ended, mark_running
    from core.train.steps import (
        export_weights,
        finite,
        forever,
        measured_grad_norm,
        parameter_groups,
        save_registered,
    )
    from recipes.pretrain import StopRequest

    registry = Registry.from_settings(settings)
    run = registry.require_run(run_id)
    cfg = config_from_dict(run.config)
    run_dir = Path(run.run_dir)
    device_type = settings.resolved_device()
    dist = init_distributed(device_type)
    is_main = dist.is_main
    stop = StopRequest()
    stop.install()
    logger = None
    try:
        seed_everything(cfg.train.seed)
        index = load_registered(registry, cfg.data.dataset)
        classes = list(index.classes)
        towers = load_towers(cfg.init.checkpoint)
        freeze(unused_parameters(towers, video_embedding=False, text_tower=False, text_embedding=False,
                                                logit_scale=False))
        vcfg = towers.cfg.video
        module = ActionModel(towers, ActionClassifier(cfg.head, vcfg.width, vcfg.num_frames // vcfg.tubelet,
                                                      len(classes)))
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))

        micro, accumulation = cfg.train.batch_layout(dist.world_size)
        cache = clip_cache(settings) if cfg.data.cache_decoded and not cfg.data.jitter else None
        dataset = ActionDataset(index, split=cfg.data.split, num_frames=vcfg.num_frames, size=vcfg.image_size,
                                train=True, seed=cfg.train.seed, jitter=cfg.data.jitter, clip_cache=cache)
        dataset.train_transform = TrainTransform(vcfg.image_size, scale=(cfg.data.crop_min, 1.0), flip=cfg.data.flip)
        dataset.samples = [s for s in dataset.samples if s.label is not None]  # unlabelled lines cannot train
        if len(dataset) < micro * dist.world_size:
            raise UserError(f"{cfg.data.dataset} {cfg.data.split}: {len(dataset)} videos, fewer than one batch")
        loader = build_pretrain_loader(dataset, micro, workers=cfg.data.num_workers, seed=cfg.train.seed,
                                       rank=dist.rank, world_size=dist.world_size)
        engine, _, _, scheduler = deepspeed.initialize(
            model=module, model_parameters=parameter_groups(module, cfg.train.lr, cfg.tune.tower_lr_scale),
            config=deepspeed_config(cfg.train, dist.world_size, device_type),
        )
        safe_load.install(engine)
        checkpoints = CheckpointManager(engine, run_dir / "checkpoints", dist.rank, cfg.train.keep_last)

        step = 0
        if resume:
            newest = registry.newest_checkpoint(run_id)
            if newest is not None:
                client = checkpoints.load(Path(newest.path))
                step = client["step"]
                loader.load_state_dict(client["data"])
        if is_main:
            mark_running(registry, run_id, dist.world_size)
        logger = TrainLogger(run_dir, dist.rank, cfg.train.max_steps, step, show_progress and is_main)
        logger.info("run %s: %s from step %d on %s (%d videos, %d classes), world size %d, micro batch %d x %d",
                    run_id, "resumed" if step else "started", step, cfg.data.dataset, len(dataset), len(classes),
                    dist.world_size, micro, accumulation)

        batches = forever(loader)
        stopping = False
        while step < cfg.train.max_steps and not stopping:
            t_start = time.perf_counter()
            lr = scheduler.get_last_lr()[0]
            sums: dict[str, float] = {}
            grad_norm = None
            for micro_step in range(accumulation):
                out = engine(next(batches))
                engine.backward(out["loss"])
                if micro_step == accumulation - 1 and cfg.train.zero_stage == 0:
                    grad_norm = measured_grad_norm(engine, 0)
                engine.step()
                for key, value in out.items():
                    sums[key] = sums.get(key, 0.0) + float(value.detach()) / accumulation
            step += 1
            if grad_norm is None:
                grad_norm = measured_grad_norm(engine, cfg.train.zero_stage)
            step_time = time.perf_counter() - t_start
            if not all(map(finite, sums.values())):
                raise FloatingPointError(f"non-finite loss at step {step}: {sums}")
            scalars = {**sums, "lr": lr, "grad_norm": grad_norm, "clips_per_s": cfg.train.batch_size / step_time,
                       "step_time_s": step_time}
            write = step % cfg.train.log_every == 0 or step == cfg.train.max_steps
            logger.step(step, scalars, write)
            if write and is_main:
                registry.beat(run_id, step=step, metrics={k: round(v, 6) for k, v in scalars.items()})
            stopping = any_rank(stop.requested, dist.device)
            if step % cfg.train.save_every == 0 or step == cfg.train.max_steps or stopping:
                save_registered(checkpoints, registry, run_id, step, {"step": step, "data": loader.state_dict()},
                                cfg.train.keep_last, is_main, logger)

        if stopping and step < cfg.train.max_steps:
            if is_main:
                mark_ended(registry, run_id, "interrupted")
            logger.info("interrupted at step %d after a final checkpoint", step)
            return "interrupted"
        if is_main:
            export_dir = export_weights(
                engine, cfg.train.zero_stage, registry, run_id, run_dir, step,
                {"task": TASK, "recipe": RECIPE, "run_id": run_id, "parent_id": cfg.init.run, "step": step,
                 "init_checkpoint": cfg.init.checkpoint, "dataset": cfg.data.dataset, "dataset_kind": index.kind,
                 "model": model_section(cfg.init.checkpoint), "head": to_dict(cfg.head), "classes": classes},
            )
            mark_ended(registry, run_id, "finished")
            logger.info("finished at step %d; weights exported to %s", step, export_dir)
        return "finished"
    except BaseException as err:
        if is_main:
            status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
            message = "" if status == "interrupted" else f"{type(err).__name__}: {err}"
            mark_ended(registry, run_id, status, error=message or None)
            if logger is not None and status == "failed":
                logger.info("failed:\n%s", traceback.format_exc())
        raise
    finally:
        stop.restore()
        if logger is not None:
            logger.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.finetune_action --run-id ID [--resume]`."""
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--local_rank", type=int, default=None, help=argparse.SUPPRESS)  # DeepSpeed's launcher
    args = parser.parse_args(argv)
    status = train(args.run_id, Settings(), resume=args.resume)
    return {"finished": 0, "interrupted": 130}.get(status, 1)


if __name__ == "__main__":
    raise SystemExit(main())
