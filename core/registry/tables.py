"""The registry's tables: datasets, runs, checkpoints, evaluation results, notes on runs, and the
files of deleted runs still to remove.

JSON columns hold structured values (counts per split, hashes, resolved configs, protocols);
they are read and written as Python dicts/lists. Timestamps are UTC.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from core.registry.schema import RunStatus


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id() -> str:
    """Sortable by creation time and unique across processes: `20261126-081502-9f3ab2`."""
    return utcnow().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class SchemaInfo(SQLModel, table=True):
    """One row: the schema version that wrote this registry."""

    __tablename__ = "schema_info"
    id: int = Field(default=1, primary_key=True)
    version: int


class Dataset(SQLModel, table=True):
    """A registered dataset: where it lies, what it holds, and what was wrong when last checked."""

    __tablename__ = "dataset"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, sa_column_kwargs={"unique": True})
    kind: str
    root: str
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # split -> n
    hashes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))  # file -> sha256
    status: str = "ok"  # ok | problems
    problems: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    verified_at: datetime | None = None
    created: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One training run (pre-training or a task head), from `pending` to a final status."""

    __tablename__ = "run"
    id: str = Field(default_factory=new_run_id, primary_key=True)
    name: str = Field(default="", index=True)  # empty: the id
    recipe: str = Field(index=True)
    config_name: str
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    parent_id: str | None = Field(default=None, foreign_key="run.id")  # a head's pre-training run
    tags: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    git_sha: str | None = None
    git_dirty: bool = False
    seed: int | None = None
    host: str | None = None
    world_size: int = 1
    status: str = Field(default=RunStatus.PENDING.value, index=True)  # a RunStatus value
    step: int = 0
    max_steps: int | None = None
    last_metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    run_dir: str | None = None
    created: datetime = Field(default_factory=utcnow, index=True)
    started: datetime | None = None
    ended: datetime | None = None
    heartbeat: datetime | None = None
    error: str | None = None


class Checkpoint(SQLModel, table=True):
    """A checkpoint on disk; `complete` only once every file of it is written."""

    __tablename__ = "checkpoint"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    tag: str
    step: int
    path: str
    kind: str = "deepspeed"  # deepspeed (resumable) | export (consolidated safetensors)
    complete: bool = False
    bytes: int = 0
    created: datetime = Field(default_factory=utcnow)


class EvalResult(SQLModel, table=True):
    """One number: a metric of a task on a dataset split, and how it was measured."""

    __tablename__ = "eval_result"
    __table_args__ = (Index("ix_eval_result_run_task", "run_id", "task"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id")
    checkpoint_id: int | None = Field(default=None, foreign_key="checkpoint.id")
    task: str
    dataset: str
    split: str
    metric: str
    value: float
    n: int | None = None
    protocol: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created: datetime = Field(default_factory=utcnow)


class RunLease(SQLModel, table=True):
    """Who owns a run's worker processes now (one row per run at most, while it trains).

    `sviml run` (the launcher) takes the lease before starting workers and gives it back when they
    are gone; rank 0 records every rank's process. `--resume` of a run whose lease holder or workers
    are alive is refused; a lease whose processes are all dead is taken over (see
    `core.train.ownership`). `stop_requested` is how `sviml runs stop` reaches workers on any host.
    """

    __tablename__ = "run_lease"
    run_id: str = Field(foreign_key="run.id", primary_key=True)
    host: str  # the launcher's host
    pid: int  # the launcher's process (the worker itself for a run trained in process)
    pid_started: float  # its start time (epoch seconds): a recycled pid is not the launcher
    workers: list[Any] = Field(default_factory=list, sa_column=Column(JSON))  # [{rank, host, pid, started}]
    acquired: datetime = Field(default_factory=utcnow)
    stop_requested: datetime | None = None


class RunNote(SQLModel, table=True):
    """A line a person wrote about a run (`sviml runs note`): appended, timestamped, never edited."""

    __tablename__ = "run_note"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="run.id", index=True)
    text: str
    created: datetime = Field(default_factory=utcnow)


class PendingDeletion(SQLModel, table=True):
    """Files of a deleted run whose rows are already gone.

    `sviml runs rm` deletes a run's rows and records this in one transaction, then removes the files
    and this row: a crash in between leaves the row, and `sviml gc` finishes the job. No foreign key:
    the run row no longer exists.
    """

    __tablename__ = "pending_deletion"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True)
    run_name: str = ""
    paths: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # folders and files to remove
    keep_export_from: str | None = None  # `--keep-export`: move this folder (the run's export) ...
    keep_export_to: str | None = None  # ... here before removing `paths`
    bytes: int = 0  # their size when the deletion was decided
    created: datetime = Field(default_factory=utcnow)
