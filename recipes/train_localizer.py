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

import argparse
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import apply_overrides, load_yaml, parse_overrides
from core.errors import UserError
from core.heads.init import InitConfig, resolve_init, validate_init
from core.heads.localization import LocalizerConfig
from core.heads.snippets import SnippetFeatureConfig
from core.model.config import from_dict, to_dict
from core.train.config import TrainConfig, deepspeed_config

RECIPE = "train_localizer"
TASK = "tal"
KINDS = ("activitynet",)
SECTIONS = ("description", "init", "data", "features", "head", "train")


@dataclass
class DataConfig:
    dataset: str = "synth-anet"  # a registered activitynet dataset
    split: str = "train"  # ActivityNet's training subset


@dataclass
class TrainLocalizerConfig:
    description: str = ""
    init: InitConfig = field(default_factory=InitConfig)
    data: DataConfig = field(default_factory=DataConfig)
    features: SnippetFeatureConfig = field(default_factory=SnippetFeatureConfig)
    head: LocalizerConfig = field(default_factory=LocalizerConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# -- config --------------------------------------------------------------------------------


def config_from_dict(tree: dict[str, Any]) -> TrainLocalizerConfig:
    unknown = sorted(set(tree) - set(SECTIONS))
    if unknown:
        raise UserError(f"unknown config section(s): {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
    cfg = from_dict(TrainLocalizerConfig, dict(tree))
    validate_init(cfg.init)
    cfg.features.validate()
    cfg.head.validate()
    cfg.train.validate(can_compile=False)
    return cfg


def load_config(path: Path, overrides: dict[str, Any] | list[str]) -> TrainLocalizerConfig:
    """YAML + overrides -> validated config (what `sviml recipes validate` runs too)."""
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    return config_from_dict(apply_overrides(load_yaml(path), overrides, SECTIONS))


def config_to_dict(cfg: TrainLocalizerConfig) -> dict[str, Any]:
    return to_dict(cfg)


def deepspeed_json(cfg: TrainLocalizerConfig, world_size: int, device_type: str) -> dict[str, Any]:
    return deepspeed_config(cfg.train, world_size, device_type)


def run_tags(cfg: TrainLocalizerConfig) -> dict[str, Any]:
    return {"dataset": cfg.data.dataset}


def check_ready(cfg: TrainLocalizerConfig, registry: Any) -> None:
    """Fail before any work on an unregistered or wrong-kind dataset or missing weights; fills in
    `init` (run id and export folder), so the saved config names the exact frozen tower."""
    dataset = registry.require_dataset(cfg.data.dataset)
    if dataset.kind not in KINDS:
        raise UserError(f"{RECIPE} needs an activitynet dataset; {dataset.name} is {dataset.kind}")
    cfg.init = resolve_init(cfg.init, registry)


def parent_run(cfg: TrainLocalizerConfig) -> str | None:
    """The pre-training run whose frozen tower gives the features (the head run's parent)."""
    return cfg.init.run


# -- training ------------------------------------------------------------------------------


def train(run_id: str, settings: Any, resume: bool = False, show_progress: bool = True) -> str:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    import deepspeed
    import torch

    from core.data.loader import build_pretrain_loader
    from core.data.registration import load_registered
    from core.eval.features import cache_path, cached, weights_fingerprint
    from core.heads.localization import Localizer
    from core.heads.localization_loss import LocalizerObjective
    from core.heads.snippets import SnippetDataset, extract, feature_key
    from core.registry import Registry
    from core.train import safe_load
    from core.train.checkpoint import CheckpointManager
    from core.train.distributed import any_rank, barrier, init_distributed
    from core.train.export import load_exported
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
        torch_threads,
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
        if not classes:
            raise UserError(f"{cfg.data.dataset} has no labelled action")

        # Snippet features of the train split from the frozen tower: rank 0 extracts and caches, the
        # others wait and read the cache.
        towers = load_exported(Path(cfg.init.checkpoint), dist.device)
        vcfg = towers.cfg.video
        key = feature_key(weights_fingerprint(Path(cfg.init.checkpoint)), index, cfg.data.split, cfg.features,
                          cfg.head.snippets, vcfg.num_frames, vcfg.image_size)
        path = cache_path(Path(settings.home) / "cache" / "features", **key)
        t_features = time.perf_counter()

        def compute() -> dict[str, Any]:
            return extract(towers, index, cfg.data.split, cfg.features, cfg.head.snippets, dist.device)

        arrays = cached(path, compute) if is_main else None
        barrier()
        if arrays is None:
            arrays = cached(path, compute)
        feature_seconds = time.perf_counter() - t_features
        towers = None  # the frozen tower's work is done: free it before training
        dataset = SnippetDataset(index.split(cfg.data.split), arrays, cfg.head, len(classes))

        module = LocalizerObjective(Localizer(cfg.head, int(arrays["features"].shape[-1]), len(classes)))
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))
        micro, accumulation = cfg.train.batch_layout(dist.world_size)
        if len(dataset) < micro * dist.world_size:
            raise UserError(f"{cfg.data.dataset} {cfg.data.split}: {len(dataset)} readable videos, fewer than one batch")
        loader = build_pretrain_loader(dataset, micro, workers=0, seed=cfg.train.seed, rank=dist.rank,
                                       world_size=dist.world_size)
        engine, _, _, scheduler = deepspeed.initialize(
            model=module, model_parameters=parameter_groups(module, cfg.train.lr, 1.0),
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
        logger.info("run %s: %s from step %d on %s (%d videos, %d classes; features in %.1f s), world size %d, "
                    "micro batch %d x %d", run_id, "resumed" if step else "started", step, cfg.data.dataset,
                    len(dataset), len(classes), feature_seconds, dist.world_size, micro, accumulation)

        batches = forever(loader)
        stopping = False
        with torch_threads(1):  # the head's tensors are small: one thread beats a pool's barriers
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
                    for key_, value in out.items():
                        sums[key_] = sums.get(key_, 0.0) + float(value.detach()) / accumulation
                step += 1
                if grad_norm is None:
                    grad_norm = measured_grad_norm(engine, cfg.train.zero_stage)
                step_time = time.perf_counter() - t_start
                if not all(map(finite, sums.values())):
                    raise FloatingPointError(f"non-finite loss at step {step}: {sums}")
                scalars = {**sums, "lr": lr, "grad_norm": grad_norm, "step_time_s": step_time}
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
                 "head": to_dict(cfg.head), "features": to_dict(cfg.features), "classes": classes,
                 "in_width": int(arrays["features"].shape[-1])},
            )
            mark_ended(registry, run_id, "finished")
            logger.info("finished at step %d; head weights exported to %s", step, export_dir)
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
    """Entry point of every rank: `python -m recipes.train_localizer --run-id ID [--resume]`."""
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
