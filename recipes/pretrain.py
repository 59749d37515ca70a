"""Pre-train S-ViLM under DeepSpeed ZeRO: contrastive + spatial grounding + temporal grouping.

Launch through the CLI, which resolves the config and registers the run:
    sviml run pretrain --recipe small [train.lr=1e-4 ...] [--nproc N] [--resume [RUN_ID]]
or directly on a run the CLI created: `python -m recipes.pretrain --run-id ID [--resume]`
(what torchrun and DeepSpeed's launcher start on every rank).

The loop is written out top to bottom: seed -> model -> objective -> data -> DeepSpeed ->
(resume) -> steps with logging and checkpoints -> export of consolidated fp32 weights.
"""

from __future__ import annotations

import argparse
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import apply_overrides, load_yaml, parse_overrides, resolve_model_section
from core.errors import UserError
from core.losses.config import LossConfig
from core.model.config import from_dict, to_dict
from core.train.config import TrainConfig, deepspeed_config

RECIPE = "pretrain"
SECTIONS = ("description", "model", "loss", "data", "train")


@dataclass
class DataConfig:
    """Where the clips and captions come from, and how they are loaded."""

    datasets: tuple[str, ...] = ("synth-pretrain",)  # registry names of caption-bearing datasets
    split: str = "train"
    num_workers: int = 1  # DataLoader worker processes per rank
    noun_prompt: str = "A photo of a {noun}."  # [choice] template of the noun-phrase prompts
    cache_decoded: bool = True  # keep decoded clips on disk after the first read (cheap epochs on small data)
    jitter: bool = False  # random frame positions within each segment (disables the decoded-clip cache)


@dataclass
class PretrainConfig:
    description: str = ""
    model: dict[str, Any] = field(default_factory=dict)  # the resolved model config, with its preset
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# -- config --------------------------------------------------------------------------------


def config_from_dict(tree: dict[str, Any]) -> PretrainConfig:
    tree = dict(tree)
    unknown = sorted(set(tree) - set(SECTIONS))
    if unknown:
        raise UserError(f"unknown config section(s): {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
    model = resolve_model_section(tree.pop("model", {}) or {})
    cfg = from_dict(PretrainConfig, {**tree, "model": {}})
    cfg.model = model
    cfg.loss.validate()
    cfg.train.validate()
    if not cfg.data.datasets:
        raise UserError("data.datasets must name at least one registered dataset")
    if "{noun}" not in cfg.data.noun_prompt:
        raise UserError("data.noun_prompt must contain {noun}")
    if cfg.data.num_workers < 0:
        raise UserError("data.num_workers must be >= 0")
    return cfg


def load_config(path: Path, overrides: dict[str, Any] | list[str]) -> PretrainConfig:
    """YAML + overrides -> validated config (what `sviml recipes validate` runs too)."""
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    return config_from_dict(apply_overrides(load_yaml(path), overrides, SECTIONS))


def config_to_dict(cfg: PretrainConfig) -> dict[str, Any]:
    return to_dict(cfg)


def deepspeed_json(cfg: PretrainConfig, world_size: int, device_type: str) -> dict[str, Any]:
    return deepspeed_config(cfg.train, world_size, device_type)


def run_tags(cfg: PretrainConfig) -> dict[str, Any]:
    """What reports group runs by: the loss weights (the paper's Table 6 ablation)."""
    return {"w_contrast": cfg.loss.w_contrast, "w_ground": cfg.loss.w_ground, "w_temporal": cfg.loss.w_temporal}


def check_ready(cfg: PretrainConfig, registry: Any) -> None:
    """Fail before any work if a named dataset is not registered."""
    for name in cfg.data.datasets:
        registry.require_dataset(name)


# -- training ------------------------------------------------------------------------------


class StopRequest:
    """Set by SIGINT/SIGTERM; the loop checkpoints at the next step boundary and stops."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = {}

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def train(run_id: str, settings: Any, resume: bool = False, show_progress: bool = True) -> str:
    """Train run `run_id` on this rank; returns its final status (finished / interrupted / failed)."""
    from core.train.distributed import select_accelerator

    device_type = settings.resolved_device()
    select_accelerator(device_type)
    import deepspeed
    import torch

    from core.data.caches import clip_cache, noun_cache_dir
    from core.data.loader import build_pretrain_loader
    from core.data.registration import load_registered
    from core.data.tasks.pretrain import PretrainDataset
    from core.losses import PretrainObjective
    from core.model.config import ModelConfig
    from core.model.svilm import SViLM
    from core.model.text_encoder import load_tokenizer
    from core.registry import Registry
    from core.train import safe_load
    from core.train.checkpoint import CheckpointManager
    from core.train.distributed import any_rank, init_distributed
    from core.train.export import consolidated_state_dict, write_export
    from core.train.logger import TrainLogger
    from core.train.rng import rank_seed, seed_everything
    from core.train.run_record import mark_ended, mark_running
    from core.train.steps import compile_towers

    registry = Registry.from_settings(settings)
    run = registry.require_run(run_id)
    cfg = config_from_dict(run.config)
    run_dir = Path(run.run_dir)
    dist = init_distributed(device_type)
    is_main = dist.is_main
    stop = StopRequest()
    stop.install()
    logger = None
    try:
        # Same initial weights on every rank; then each rank's own stream for pasting and Gumbel noise.
        seed_everything(cfg.train.seed)
        model_cfg = ModelConfig.from_dict({k: v for k, v in cfg.model.items() if k != "preset"})
        model = SViLM(model_cfg)
        if cfg.train.compile:
            compile_towers(model)
        objective = PretrainObjective(model, cfg.loss, rank=dist.rank, world_size=dist.world_size)
        torch.manual_seed(rank_seed(cfg.train.seed, dist.rank))

        micro, accumulation = cfg.train.batch_layout(dist.world_size)
        dataset = PretrainDataset(
            [load_registered(registry, name) for name in cfg.data.datasets], load_tokenizer(model_cfg.text),
            split=cfg.data.split, num_frames=model_cfg.video.num_frames, size=model_cfg.video.image_size,
            num_nouns=cfg.loss.num_nouns, template=cfg.data.noun_prompt, max_caption_len=model_cfg.text.caption_len,
            max_noun_len=model_cfg.text.prompt_len, seed=cfg.train.seed, jitter=cfg.data.jitter,
            noun_cache=noun_cache_dir(settings), clip_cache=clip_cache(settings) if cfg.data.cache_decoded else None,
        )
        loader = build_pretrain_loader(dataset, micro, workers=cfg.data.num_workers, seed=cfg.train.seed,
                                       rank=dist.rank, world_size=dist.world_size)
        ds_config = deepspeed_config(cfg.train, dist.world_size, device_type)
        engine, _, _, _ = deepspeed.initialize(
            model=objective, model_parameters=[p for p in objective.parameters() if p.requires_grad],
            config=ds_config,
        )
        safe_load.install(engine)
        checkpoints = CheckpointManager(engine, run_dir / "checkpoints", dist.rank, cfg.train.keep_last)

        step, resume_note = 0, ""
        if resume:
            newest = registry.newest_checkpoint(run_id)
            if newest is not None:
                t_load = time.perf_counter()
                client = checkpoints.load(Path(newest.path))
                step = client["step"]
                loader.load_state_dict(client["data"])
                resume_note = f" (checkpoint {newest.tag} loaded in {time.perf_counter() - t_load:.2f} s)"
        if is_main:
            mark_running(registry, run_id, dist.world_size)
        logger = TrainLogger(run_dir, dist.rank, cfg.train.max_steps, step, show_progress and is_main)
        logger.info("run %s: %s from step %d%s, world size %d, micro batch %d x accumulation %d",
                    run_id, "resumed" if step else "started", step, resume_note, dist.world_size, micro, accumulation)

        batches = iter(loader)  # one epoch from the loader's position; the next iter() is the next epoch
        skipped_total = 0

        def next_batch() -> dict[str, Any]:
            nonlocal batches
            while True:
                try:
                    return next(batches)
                except StopIteration:
                    batches = iter(loader)

        stopping = False
        while step < cfg.train.max_steps and not stopping:
            t_start = time.perf_counter()
            lr = engine.get_lr()[0]  # the rate this step uses (the scheduler moves after it)
            data_wait = 0.0
            sums: dict[str, float] = {}
            grad_norm = None
            for micro_step in range(accumulation):
                t_data = time.perf_counter()
                batch = next_batch()
                data_wait += time.perf_counter() - t_data
                skipped_total += int(batch["skipped"].sum())
                out = engine(batch)
                engine.backward(out["loss"])
                if micro_step == accumulation - 1 and cfg.train.zero_stage == 0:
                    # Without ZeRO, DeepSpeed clips but does not keep the norm: measure it here.
                    grads = [p.grad for p in engine.module.parameters() if p.grad is not None]
                    grad_norm = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
                engine.step()
                for key, value in out.items():
                    sums[key] = sums.get(key, 0.0) + float(value.detach()) / accumulation
            step += 1
            if grad_norm is None:
                norm = engine.get_global_grad_norm()
                grad_norm = float(norm) if norm is not None else float("nan")
            step_time = time.perf_counter() - t_start
            scalars = {**sums, "lr": lr, "grad_norm": grad_norm,
                       "clips_per_s": cfg.train.batch_size / step_time, "step_time_s": step_time,
                       "data_wait_s": data_wait}
            if not all(map(_finite, sums.values())):
                raise FloatingPointError(f"non-finite loss at step {step}: {sums}")
            write = step % cfg.train.log_every == 0 or step == cfg.train.max_steps
            logger.step(step, scalars, write)
            if write and is_main:
                registry.beat(run_id, step=step, metrics={k: round(v, 6) for k, v in scalars.items()})
            stopping = any_rank(stop.requested, dist.device)
            if step % cfg.train.save_every == 0 or step == cfg.train.max_steps or stopping:
                _save(checkpoints, registry, run_id, step, loader.state_dict(), cfg, is_main, logger)

        if skipped_total:
            logger.info("skipped %d missing or unreadable clips", skipped_total)
        if stopping and step < cfg.train.max_steps:
            if is_main:
                mark_ended(registry, run_id, "interrupted")
            logger.info("interrupted at step %d after a final checkpoint", step)
            return "interrupted"
        final = registry.newest_checkpoint(run_id) if is_main else None
        if is_main:
            state = consolidated_state_dict(engine, cfg.train.zero_stage, Path(final.path) if final else None)
            # The engine wraps the objective: its weights are the model's under "model.".
            state = {k.removeprefix("model."): v for k, v in state.items()}
            export_dir = run_dir / "export"
            size = write_export(state, {"model": cfg.model, "loss": to_dict(cfg.loss), "run_id": run_id,
                                        "step": step, "recipe": RECIPE}, export_dir)
            registry.add_checkpoint(run_id=run_id, tag="export", step=step, path=str(export_dir), kind="export",
                                    complete=True, bytes=size)
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


def _save(checkpoints: Any, registry: Any, run_id: str, step: int, data_state: dict[str, Any],
          cfg: PretrainConfig, is_main: bool, logger: Any) -> None:
    """A collective checkpoint; rank 0 registers it once complete and prunes the oldest."""
    t0 = time.perf_counter()
    saved = checkpoints.save(step, {"step": step, "data": data_state})
    if not is_main or saved is None:
        return
    registry.add_checkpoint(run_id=run_id, tag=saved.tag, step=step, path=str(saved.path), kind="deepspeed",
                            complete=True, bytes=saved.bytes)
    complete = registry.list_checkpoints(run_id, kind="deepspeed", complete_only=True)
    old, kept = complete[: -cfg.train.keep_last], complete[-cfg.train.keep_last:]
    registry.remove_checkpoints([c.id for c in old])
    checkpoints.prune([Path(c.path) for c in kept])
    logger.info("checkpoint %s (%.1f MB) in %.2f s", saved.tag, saved.bytes / 1e6, time.perf_counter() - t0)


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def main(argv: list[str] | None = None) -> int:
    """Entry point of every rank: `python -m recipes.pretrain --run-id ID [--resume]`."""
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
