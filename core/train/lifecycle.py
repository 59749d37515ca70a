"""The run harness every recipe shares: a run's life in the registry around an explicit training loop.

A recipe's `train` reads top to bottom; the bookkeeping around its loop is this module's:

    with RunLifecycle(run_id, settings, PretrainConfig, show_progress) as life:
        cfg = life.config                           # the run's saved config, validated
        ... seed, model, dataset ...
        loader = life.loader(dataset, workers=..., collate_fn=..., source=..., unit=...)
        engine, step = life.initialize(module, parameters, loader, resume)  # DeepSpeed, resume, logs
        _, accumulation = life.batch_layout
        batches = forever(loader)
        while step < cfg.train.max_steps and not life.stopping:
            stats = optimizer_step(engine, batches, accumulation, cfg.train.zero_stage)
            step += 1
            life.end_step(step, stats)               # finite check, logs, heartbeat, checkpoints
        return life.finish(step, export_config)      # export + `finished`, or `interrupted`

Entering selects the accelerator (before DeepSpeed is imported), joins the process group, seeds
every rank with `train.seed` and turns
SIGINT/SIGTERM into a stop request: every rank agrees on the stop step, writes a final checkpoint
and the run ends `interrupted`. Leaving on an exception records `failed` with the error (Ctrl-C
pressed twice: `interrupted`). Only rank 0 writes the registry and TensorBoard.
"""

from __future__ import annotations

import argparse
import math
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.config import validate_config
from core.registry.schema import RunStatus
from core.train.distributed import (
    DistInfo,
    any_rank,
    broadcast_object,
    gather_objects,
    init_distributed,
    select_accelerator,
)
from core.train.ownership import ProcessId
from core.train.rng import seed_everything
from core.train.watchdog import launcher_from_env, watch_launcher

if TYPE_CHECKING:
    from deepspeed import DeepSpeedEngine
    from torch import nn
    from torch.utils.data import Dataset

    from core.data.loader import TrainingLoader
    from core.registry import Registry, Run
    from core.settings import Settings
    from core.train.checkpoint import CheckpointManager
    from core.train.config import RecipeConfig, TrainConfig
    from core.train.logger import TrainLogger
    from core.train.steps import StepStats

C = TypeVar("C", bound="RecipeConfig")

EXIT_CODES = {RunStatus.FINISHED: 0, RunStatus.INTERRUPTED: 130}
RUN_ID_FROM_RANK0 = "from-rank-0"  # what other nodes' workers are started with (`sviml run --node-rank R`)
BEAT_EVERY_S = 30.0  # rank 0 beats at least this often (liveness of runs on other hosts), logged or not
STOP_POLL_S = 5.0  # rank 0 looks for a `sviml runs stop` request this often


def exit_code(status: str) -> int:
    """A process exit code for a run's final status: 0 finished, 130 interrupted, 1 otherwise."""
    return EXIT_CODES.get(RunStatus(status), 1)


class StopRequest:
    """Set by SIGINT/SIGTERM (or `request`): the loop checkpoints at the next step boundary and stops."""

    def __init__(self) -> None:
        self.requested = False
        self.reason = ""
        self._previous: dict[int, Any] = {}

    def request(self, reason: str) -> None:
        if not self.requested:
            self.reason = reason
        self.requested = True

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.request(signal.Signals(signum).name)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


class RunLifecycle(Generic[C]):
    """One run's harness on one rank (see the module docstring)."""

    def __init__(self, run_id: str, settings: Settings, config_type: type[C], show_progress: bool = True):
        self.run_id = run_id
        self.settings = settings
        self.config_type = config_type
        self.show_progress = show_progress
        self.stop = StopRequest()
        self.stopping = False
        self.skipped = 0  # missing or unreadable clips replaced in this process's batches
        self.logger: TrainLogger | None = None
        self._checkpoints: CheckpointManager | None = None
        self._engine: DeepSpeedEngine | None = None
        self._loader: TrainingLoader | None = None
        self._train: TrainConfig | None = None

    # -- entering and leaving --------------------------------------------------------------------
    def __enter__(self) -> RunLifecycle[C]:
        from core.registry import Registry

        self.device_type = self.settings.resolved_device()
        select_accelerator(self.device_type)  # before DeepSpeed's import, which would guess (with a warning)
        self.dist: DistInfo = init_distributed(self.device_type)
        # Other nodes' workers start with a placeholder: node rank 0 created the run and knows its id.
        self.run_id = broadcast_object(self.run_id)
        if self.run_id == RUN_ID_FROM_RANK0:
            raise RuntimeError("rank 0 was started without a run id: start node rank 0 with `sviml run`")
        self.registry: Registry = Registry.from_settings(self.settings)
        self.run: Run = self.registry.require_run(self.run_id)
        self.config: C = validate_config(self.config_type, self.run.config)
        self.run_dir = Path(self.run.run_dir or self.settings.run_dir(self.run_id))
        # Every rank alike: the same initial weights everywhere (recipes seed their own per-rank
        # streams with `core.train.rng.rank_seed` once the model is built).
        seed_everything(self.config.train.seed)
        self.stop.install()
        launcher = launcher_from_env()
        if launcher is not None and launcher != ProcessId.this():
            watch_launcher(lambda: self.stop.request(f"launcher {launcher.host}:{launcher.pid} gone"), launcher)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc is not None and self.is_main:
                interrupted = isinstance(exc, KeyboardInterrupt)
                status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
                self.registry.set_run_status(self.run_id, status,
                                             error=None if interrupted else f"{type(exc).__name__}: {exc}")
                if self.logger is not None and not interrupted:
                    self.logger.info("failed:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        finally:
            self.stop.restore()
            if self.logger is not None:
                self.logger.close()

    @property
    def is_main(self) -> bool:
        return self.dist.is_main

    # -- the loop's frame ------------------------------------------------------------------------
    @property
    def batch_layout(self) -> tuple[int, int]:
        """(micro batch per process, gradient accumulation steps) of this run's world size."""
        return self.config.train.batch_layout(self.dist.world_size)

    def loader(self, dataset: Dataset, *, workers: int, collate_fn: Callable[[list[Any]], Any] | None,
               source: str, unit: str, pin_memory: bool = False, prefetch: int = 2) -> TrainingLoader:
        """The run's resumable loader over `dataset`: micro batches sharded by rank and seeded by
        `train.seed`; a dataset smaller than one global batch (`source`: `unit`s) is a user error.
        `pin_memory` pins batches on a GPU run only; `prefetch`: batches queued per worker."""
        from core.data.loader import build_pretrain_loader
        from core.errors import UserError

        micro, _ = self.batch_layout
        if len(dataset) < micro * self.dist.world_size:
            raise UserError(f"{source}: {len(dataset)} {unit}, fewer than one batch "
                            f"({micro} x {self.dist.world_size} processes)")
        return build_pretrain_loader(dataset, micro, workers=workers, seed=self.config.train.seed,
                                     rank=self.dist.rank, world_size=self.dist.world_size, collate_fn=collate_fn,
                                     pin_memory=pin_memory and self.device_type == "cuda", prefetch_factor=prefetch)

    def initialize(self, module: nn.Module, parameters: Iterable[Any], loader: TrainingLoader,
                   resume: bool) -> tuple[DeepSpeedEngine, int]:
        """DeepSpeed's engine over `module` from the run's `train` section, then `begin`: returns the
        engine and the step to start from."""
        import deepspeed

        from core.train.config import deepspeed_config

        train = self.config.train
        config = deepspeed_config(train, self.dist.world_size, self.device_type)
        source = self._resume_source() if resume else None
        if source is not None and source[1] is not None:
            config["checkpoint"] = {"load_universal": True}  # rank-free files, loaded at any world size
        engine, _, _, _ = deepspeed.initialize(model=module, model_parameters=parameters, config=config)
        return engine, self.begin(engine, loader, train, source)

    def _resume_source(self) -> tuple[Path, Path | None] | None:
        """The newest complete checkpoint to resume from, and its universal conversion when it was
        written by another number of processes with ZeRO (made here, by rank 0); None: start afresh."""
        from core.train.checkpoint import saved_world_size
        from core.train.distributed import barrier
        from core.train.reshard import convert_to_universal, universal_copy

        newest = self.registry.newest_checkpoint(self.run_id)
        if newest is None:
            return None
        path = Path(newest.path)
        if saved_world_size(path) == self.dist.world_size or self.config.train.zero_stage == 0:
            return path, None
        if self.is_main:
            convert_to_universal(path)
        barrier()
        return path, universal_copy(path)

    def begin(self, engine: DeepSpeedEngine, loader: TrainingLoader, train: TrainConfig,
              source: tuple[Path, Path | None] | None) -> int:
        """Checkpointing for `engine` + `loader`, the resumed position (`source`: the checkpoint and
        its universal conversion, or None: step 0), the run marked `running` and the logs opened;
        returns the step to start from."""
        from core.train import safe_load
        from core.train.checkpoint import CheckpointManager, saved_world_size
        from core.train.logger import TrainLogger

        safe_load.install(engine)
        self._engine, self._loader, self._train = engine, loader, train
        self._checkpoints = CheckpointManager(engine, self.run_dir / "checkpoints", self.dist.rank, train.keep_last,
                                              self.dist.world_size, train.zero_stage)
        step, note, resharded = 0, "", None
        if source is not None:
            path, universal = source
            t_load = time.perf_counter()
            saved_world = saved_world_size(path)
            client = self._checkpoints.load(path, universal)
            step = client["step"]
            loader.load_state_dict(client["data"], reshard=saved_world != self.dist.world_size)
            note = f" (checkpoint {path.name} loaded in {time.perf_counter() - t_load:.2f} s)"
            if saved_world != self.dist.world_size:
                resharded = {"step": step, "from": saved_world, "to": self.dist.world_size}
                note += f", written by {saved_world} processes: resharded for {self.dist.world_size}"
        workers = gather_objects(ProcessId.this().as_record(self.dist.rank))
        if self.is_main:
            self.registry.set_run_status(self.run_id, RunStatus.RUNNING, world_size=self.dist.world_size)
            self.registry.set_lease_workers(self.run_id, workers)
            if resharded is not None:
                history = [*(self.run.tags or {}).get("world_size_history", []), resharded]
                self.registry.merge_run_tags(self.run_id, {"world_size_history": history})
        self._last_beat = self._last_stop_poll = time.monotonic()
        self.logger = TrainLogger(self.run_dir, self.dist.rank, train.max_steps, step,
                                  self.show_progress and self.is_main)
        micro, accumulation = train.batch_layout(self.dist.world_size)
        self.logger.info("run %s: %s from step %d%s, world size %d, micro batch %d x accumulation %d",
                         self.run_id, "resumed" if step else "started", step, note, self.dist.world_size, micro,
                         accumulation)
        return step

    def info(self, message: str, *args: Any) -> None:
        """A line in the run's log file (every rank keeps its own)."""
        assert self.logger is not None, "begin() opens the log"
        self.logger.info(message, *args)

    def warn(self, message: str) -> None:
        """A warning: on stderr (rank 0) and in the run's log."""
        import sys

        if self.is_main:
            print(f"warning: {message}", file=sys.stderr, flush=True)
        self.info("warning: %s", message)

    def record(self, **tags: Any) -> None:
        """Facts a run learns once it starts (what initialised it, its negatives per loss), added to its
        tags in the registry (rank 0): `sviml runs show ID --json` prints them."""
        if self.is_main:
            self.registry.merge_run_tags(self.run_id, tags)


    def end_step(self, step: int, stats: StepStats) -> None:
        """After optimizer step `step`: refuse a non-finite loss, log the step's outputs and timings,
        beat, agree on a stop and checkpoint when one is due (every `save_every`, at the end, on a stop)."""
        assert self.logger is not None and self._train is not None
        if not all(math.isfinite(value) for value in stats.outputs.values()):
            raise FloatingPointError(f"non-finite loss at step {step}: {stats.outputs}")
        self.skipped += stats.skipped
        scalars = {**stats.outputs, "lr": stats.lr, "grad_norm": stats.grad_norm,
                   "clips_per_s": self._train.batch_size / stats.step_time_s, "step_time_s": stats.step_time_s,
                   "data_wait_s": stats.data_wait_s}
        write = step % self._train.log_every == 0 or step == self._train.max_steps
        self.logger.step(step, scalars, write)
        if self.is_main:
            self._keep_in_touch(step, scalars if write else None)
        self.stopping = any_rank(self.stop.requested, self.dist.device)
        if step % self._train.save_every == 0 or step == self._train.max_steps or self.stopping:
            self.save(step)

    def _keep_in_touch(self, step: int, scalars: dict[str, float] | None) -> None:
        """Rank 0: the heartbeat (with the metrics on logged steps, at least every BEAT_EVERY_S) and a
        look for a stop request from `sviml runs stop`, which may come from another shell or host."""
        now = time.monotonic()
        if scalars is not None or now - self._last_beat >= BEAT_EVERY_S:
            metrics = {k: round(v, 6) for k, v in scalars.items()} if scalars is not None else None
            self.registry.beat(self.run_id, step=step, metrics=metrics)
            self._last_beat = now
        if now - self._last_stop_poll >= STOP_POLL_S:
            self._last_stop_poll = now
            lease = self.registry.get_lease(self.run_id)
            if lease is not None and lease.stop_requested is not None and not self.stop.requested:
                self.stop.request("sviml runs stop")

    def save(self, step: int) -> None:
        """A collective checkpoint (engine, every rank's RNG, the data position); rank 0 registers it
        once complete and prunes the oldest beyond `keep_last`."""
        assert self._checkpoints is not None and self._loader is not None and self._train is not None
        t0 = time.perf_counter()
        saved = self._checkpoints.save(step, {"step": step, "data": self._loader.state_dict()})
        if not self.is_main or saved is None:
            return
        self.registry.add_checkpoint(run_id=self.run_id, tag=saved.tag, step=step, path=str(saved.path),
                                     kind="deepspeed", complete=True, bytes=saved.bytes)
        complete = self.registry.list_checkpoints(self.run_id, kind="deepspeed", complete_only=True)
        keep = self._train.keep_last
        self.registry.remove_checkpoints([c.id for c in complete[:-keep]])
        self._checkpoints.prune([Path(c.path) for c in complete[-keep:]])
        self.info("checkpoint %s (%.1f MB) in %.2f s", saved.tag, saved.bytes / 1e6, time.perf_counter() - t0)

    def finish(self, step: int, export_config: dict[str, Any], strip: str = "",
               extra: Callable[[Path], None] | None = None) -> RunStatus:
        """The end of the loop: `interrupted` after a stop request, else the consolidated fp32 weights
        (names without `strip`), `export_config` and what `extra` writes (the text tower's files,
        `core.train.export.text_files_of`) in `<run dir>/export`, and `finished`."""
        assert self._train is not None and self._engine is not None
        if self.skipped:
            self.info("skipped %d missing or unreadable clips", self.skipped)
        if self.stopping and step < self._train.max_steps:
            if self.is_main:
                self.registry.set_run_status(self.run_id, RunStatus.INTERRUPTED)
            self.info("interrupted at step %d after a final checkpoint (%s)", step,
                      self.stop.reason or "another rank was asked to stop")
            return RunStatus.INTERRUPTED
        if self.is_main:
            export_dir = self._export(step, export_config, strip, extra)
            self.registry.set_run_status(self.run_id, RunStatus.FINISHED)
            self.info("finished at step %d; weights exported to %s", step, export_dir)
        return RunStatus.FINISHED

    def _export(self, step: int, config: dict[str, Any], strip: str, extra: Callable[[Path], None] | None) -> Path:
        from core.train.export import consolidated_state_dict, write_export

        assert self._train is not None and self._engine is not None
        final = self.registry.newest_checkpoint(self.run_id)
        state = consolidated_state_dict(self._engine, self._train.zero_stage, Path(final.path) if final else None)
        if strip:
            state = {k.removeprefix(strip): v for k, v in state.items()}
        export_dir = self.run_dir / "export"
        size = write_export(state, config, export_dir, extra)
        self.registry.add_checkpoint(run_id=self.run_id, tag="export", step=step, path=str(export_dir),
                                     kind="export", complete=True, bytes=size)
        return export_dir


TrainFunction = Callable[..., RunStatus]


def rank_main(train: TrainFunction, description: str, argv: list[str] | None = None) -> int:
    """Every rank's entry point: `python -m recipes.<name> --run-id ID [--resume]` -> exit code."""
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--local_rank", type=int, default=None, help=argparse.SUPPRESS)  # DeepSpeed's launcher
    args = parser.parse_args(argv)
    return exit_code(train(args.run_id, Settings(), resume=args.resume))
