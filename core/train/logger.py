"""Training logs on rank 0: TensorBoard scalars, a plain log file, and a rich progress bar.

Expected library chatter (DeepSpeed's warnings) lands in the same log file, not the terminal
(`core.train.library_noise`). TensorBoard tags follow `split/name`: `train/loss`, `train/loss_contrast`, `train/lr`,
`train/grad_norm`, `perf/clips_per_s`, `perf/step_time_s`, `perf/data_wait_s`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

PERF_KEYS = ("clips_per_s", "step_time_s", "data_wait_s")


def file_logger(run_dir: Path, name: str, rank: int) -> logging.Logger:
    """A logger writing `run_dir/logs/<name>.log` (rank 0) or `<name>.rank<r>.log`."""
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"sviml.{name}.{run_dir.name}.{rank}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not logger.handlers:
        suffix = "" if rank == 0 else f".rank{rank}"
        handler = logging.FileHandler(logs / f"{name}{suffix}.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    return logger


class TrainLogger:
    """Rank 0 writes; other ranks only keep their own log file."""

    def __init__(self, run_dir: Path, rank: int, max_steps: int, start_step: int, show_progress: bool = True):
        from core.train.library_noise import DIVERSION

        self.rank = rank
        self.log = file_logger(run_dir, "train", rank)
        self.diversion = DIVERSION
        self.diversion.attach(self.log)
        self.writer = None
        self.progress = None
        if rank != 0:
            return
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(run_dir / "tb"), purge_step=start_step + 1 if start_step else None)
        if show_progress:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[losses]}"), console=Console(file=sys.stderr), transient=False,
            )
            self.task = self.progress.add_task("train", total=max_steps, completed=start_step, losses="")
            self.progress.start()

    def step(self, step: int, scalars: dict[str, float], write: bool) -> None:
        """Progress bar every step; TensorBoard scalars and the log line when `write`."""
        if self.rank != 0:
            return
        if self.progress is not None:
            shown = " ".join(f"{k.removeprefix('loss_')}={v:.3f}" for k, v in scalars.items() if k.startswith("loss"))
            self.progress.update(self.task, completed=step, losses=shown)
        if write and self.writer is not None:
            for key, value in scalars.items():
                self.writer.add_scalar(f"perf/{key}" if key in PERF_KEYS else f"train/{key}", value, step)
            self.log.info("step %d %s", step, " ".join(f"{k}={v:.5g}" for k, v in scalars.items()))

    def info(self, message: str, *args: Any) -> None:
        self.log.info(message, *args)

    def close(self) -> None:
        self.diversion.detach()
        if self.progress is not None:
            self.progress.stop()
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
