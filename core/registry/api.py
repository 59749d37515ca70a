"""The registry's query API: everything the CLI, recipes and evaluators ask of the database.

No SQL outside the registry package: this module and the query mixin it inherits
(`curation.py`: tags, notes, deletion, what `sviml gc` reads). Objects returned are detached copies (safe to use after the
session closes); writes happen in short `BEGIN IMMEDIATE` transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlmodel import Session, col, select

from core.errors import UserError
from core.registry.curation import CurationQueries
from core.registry.engine import build_engines, describe_db_error, ensure_schema
from core.registry.schema import RESULT_COLUMNS, RUN_RECORD_COLUMNS, RunFilter, RunStatus
from core.registry.tables import Checkpoint, Dataset, EvalResult, Run, RunLease, new_run_id, utcnow

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Registry", "new_run_id"]


class Registry(CurationQueries):
    """The registry behind one database URL (SQLite by default, any SQLAlchemy URL works)."""

    def __init__(self, url: str):
        self.url = url
        self._writer, self._reader = build_engines(url)
        ensure_schema(self._writer, self._reader, url)

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        return cls(settings.database_url)

    def close(self) -> None:
        self._writer.dispose()
        self._reader.dispose()

    # -- sessions ---------------------------------------------------------------------------
    @contextmanager
    def _session(self, write: bool) -> Iterator[Session]:
        engine = self._writer if write else self._reader
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
                if write:
                    session.commit()
        except IntegrityError:
            raise
        except (OperationalError, DatabaseError, sqlite3.DatabaseError) as err:
            raise UserError(describe_db_error(self.url, err)) from err

    # -- datasets ---------------------------------------------------------------------------
    def save_dataset(self, dataset: Dataset) -> Dataset:
        """Insert, or replace the row of the same name (a re-registration)."""
        with self._session(write=True) as session:
            old = session.exec(select(Dataset).where(Dataset.name == dataset.name)).first()
            if old is not None:
                dataset.id = old.id
                dataset.created = old.created
                dataset = session.merge(dataset)
            else:
                session.add(dataset)
            session.flush()
            session.refresh(dataset)
        return dataset

    def get_dataset(self, name: str) -> Dataset | None:
        with self._session(write=False) as session:
            return session.exec(select(Dataset).where(Dataset.name == name)).first()

    def require_dataset(self, name: str) -> Dataset:
        dataset = self.get_dataset(name)
        if dataset is None:
            raise UserError(f"no dataset named {name!r} is registered (see `sviml data ls`)")
        return dataset

    def list_datasets(self) -> list[Dataset]:
        with self._session(write=False) as session:
            return list(session.exec(select(Dataset).order_by(Dataset.name)))

    def remove_dataset(self, name: str) -> bool:
        with self._session(write=True) as session:
            result = session.execute(delete(Dataset).where(Dataset.name == name))
            return result.rowcount > 0

    # -- runs -------------------------------------------------------------------------------
    def create_run(self, run: Run) -> Run:
        """Insert a new run row (`run.name` empty: named by its id)."""
        if not run.name:
            run.name = run.id
        with self._session(write=True) as session:
            session.add(run)
        return run

    def get_run(self, run_id: str) -> Run | None:
        with self._session(write=False) as session:
            return session.get(Run, run_id)

    def require_run(self, run_id: str) -> Run:
        run = self.get_run(run_id)
        if run is None:
            raise UserError(f"no run with id {run_id!r} (see `sviml runs ls`)")
        return run

    def set_run_status(self, run_id: str, status: RunStatus, *, error: str | None = None,
                       world_size: int | None = None) -> Run:
        """Move a run to `status` with the timestamps that go with it.

        `running` (re)starts it: started and heartbeat now, no end and no error. An end
        (finished, failed, interrupted) records the time and `error` (None clears an old one); a run
        that ends without having run (an external checkpoint) gets the same start time.
        """
        status = RunStatus(status)
        now = utcnow()
        with self._session(write=True) as session:
            run = session.get(Run, run_id)
            if run is None:
                raise UserError(f"no run with id {run_id!r}")
            run.status, run.heartbeat = status.value, now
            if status is RunStatus.RUNNING:
                run.started, run.ended, run.error = now, None, None
            elif status is RunStatus.PENDING:
                run.ended, run.error = None, None
            else:
                run.started, run.ended, run.error = run.started or now, now, error
            if world_size is not None:
                run.world_size = world_size
            session.add(run)
        return run

    def beat(self, run_id: str, step: int | None = None, metrics: dict[str, Any] | None = None) -> None:
        """Heartbeat: the run's process is alive at `step` with these latest metrics."""
        with self._session(write=True) as session:
            run = session.get(Run, run_id)
            if run is None:
                raise UserError(f"no run with id {run_id!r}")
            run.heartbeat = utcnow()
            if step is not None:
                run.step = step
            if metrics is not None:
                run.last_metrics = metrics
            session.add(run)

    def merge_run_tags(self, run_id: str, tags: dict[str, Any]) -> Run:
        """Add `tags` to a run's tags (a key given replaces the old value, other tags unchanged): what a
        run learns once it starts (what initialised its towers), or a user's own tags."""
        with self._session(write=True) as session:
            run = session.get(Run, run_id)
            if run is None:
                raise UserError(f"no run with id {run_id!r}")
            run.tags = {**(run.tags or {}), **tags}  # a new dict: the JSON column sees the change
            session.add(run)
        return run

    def list_runs(
        self,
        recipe: str | None = None,
        status: str | None = None,
        name_like: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[Run]:
        query = select(Run)
        if recipe:
            query = query.where(Run.recipe == recipe)
        if status:
            query = query.where(Run.status == status)
        if name_like:
            query = query.where(col(Run.name).like(name_like))
        order = col(Run.created).desc() if newest_first else col(Run.created).asc()
        query = query.order_by(order, col(Run.id).desc() if newest_first else col(Run.id).asc())
        if limit:
            query = query.limit(limit)
        with self._session(write=False) as session:
            return list(session.exec(query))

    def run_records(self, query: RunFilter = RunFilter()) -> list[dict[str, Any]]:
        """Runs as plain dicts (`RUN_RECORD_COLUMNS`), newest first: what `runs ls` prints."""
        runs = self.list_runs(recipe=query.recipe, status=query.stored_status, name_like=query.name_like,
                              limit=None if query.needs_python else query.limit)
        return query.keep([{name: getattr(run, name) for name in RUN_RECORD_COLUMNS} for run in runs])

    def run_details(self, run_ids: Iterable[str]) -> list[dict[str, Any]]:
        """`id`, `config` and `run_dir` of the given runs, ordered by id."""
        query = select(Run.id, Run.config, Run.run_dir).where(col(Run.id).in_(list(run_ids))).order_by(Run.id)
        with self._session(write=False) as session:
            return [{"id": i, "config": c, "run_dir": d} for i, c, d in session.execute(query)]

    def newest_run(self, recipe: str | None = None,
                   statuses: Iterable[str] = (RunStatus.FINISHED,)) -> Run | None:
        query = select(Run).where(col(Run.status).in_(list(statuses)))
        if recipe:
            query = query.where(Run.recipe == recipe)
        query = query.order_by(col(Run.created).desc(), col(Run.id).desc()).limit(1)
        with self._session(write=False) as session:
            return session.exec(query).first()

    # -- leases (who owns a run's workers) ----------------------------------------------------
    def get_lease(self, run_id: str) -> RunLease | None:
        with self._session(write=False) as session:
            return session.get(RunLease, run_id)

    def put_lease(self, lease: RunLease, replacing: RunLease | None) -> bool:
        """Store `lease` if the run's current lease is still `replacing` (None: no lease); False when
        another launcher changed it meanwhile (compare-and-swap in one write transaction)."""
        with self._session(write=True) as session:
            current = session.get(RunLease, lease.run_id)
            same = (current is None and replacing is None) or (
                current is not None and replacing is not None
                and (current.host, current.pid, current.pid_started) == (replacing.host, replacing.pid,
                                                                         replacing.pid_started))
            if not same:
                return False
            if current is not None:
                session.delete(current)
                session.flush()
            session.add(RunLease(**lease.model_dump()))
        return True

    def set_lease_workers(self, run_id: str, workers: list[dict[str, Any]]) -> None:
        with self._session(write=True) as session:
            lease = session.get(RunLease, run_id)
            if lease is not None:
                lease.workers = workers
                session.add(lease)

    def request_stop(self, run_id: str) -> RunLease | None:
        """Ask the run's workers to stop at their next step (the lease, or None when there is none)."""
        with self._session(write=True) as session:
            lease = session.get(RunLease, run_id)
            if lease is not None:
                lease.stop_requested = utcnow()
                session.add(lease)
            return lease

    def release_lease(self, run_id: str, host: str, pid: int) -> None:
        """Give the lease back, if this launcher (host, pid) still holds it."""
        with self._session(write=True) as session:
            lease = session.get(RunLease, run_id)
            if lease is not None and (lease.host, lease.pid) == (host, pid):
                session.delete(lease)

    # -- checkpoints ------------------------------------------------------------------------
    def add_checkpoint(self, *, run_id: str, tag: str, step: int, path: str, kind: str = "deepspeed",
                       complete: bool = False, bytes: int = 0) -> Checkpoint:
        """Record a checkpoint on disk (`kind`: deepspeed, resumable; export, consolidated weights)."""
        checkpoint = Checkpoint(run_id=run_id, tag=tag, step=step, path=path, kind=kind, complete=complete,
                                bytes=bytes)
        with self._session(write=True) as session:
            session.add(checkpoint)
            session.flush()
            session.refresh(checkpoint)
        return checkpoint

    def list_checkpoints(self, run_id: str, kind: str | None = None, complete_only: bool = False) -> list[Checkpoint]:
        query = select(Checkpoint).where(Checkpoint.run_id == run_id)
        if kind:
            query = query.where(Checkpoint.kind == kind)
        if complete_only:
            query = query.where(col(Checkpoint.complete).is_(True))
        query = query.order_by(col(Checkpoint.step).asc(), col(Checkpoint.id).asc())
        with self._session(write=False) as session:
            return list(session.exec(query))

    def newest_checkpoint(self, run_id: str, kind: str = "deepspeed") -> Checkpoint | None:
        complete = self.list_checkpoints(run_id, kind=kind, complete_only=True)
        return complete[-1] if complete else None

    def remove_checkpoints(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._session(write=True) as session:
            # Results keep their numbers when the checkpoint they came from is pruned.
            rows = session.exec(select(EvalResult).where(col(EvalResult.checkpoint_id).in_(ids)))
            for row in rows:
                row.checkpoint_id = None
                session.add(row)
            session.execute(delete(Checkpoint).where(col(Checkpoint.id).in_(ids)))

    # -- evaluation results -----------------------------------------------------------------
    def add_results(self, rows: Iterable[EvalResult | dict[str, Any]]) -> int:
        objects = [row if isinstance(row, EvalResult) else EvalResult(**row) for row in rows]
        with self._session(write=True) as session:
            session.add_all(objects)
        return len(objects)

    def replace_results(self, run_id: str, task: str, dataset: str, rows: Iterable[dict[str, Any]]) -> int:
        """Store a fresh evaluation of (run, task, dataset), dropping the previous one atomically."""
        objects = [EvalResult(**row) for row in rows]
        with self._session(write=True) as session:
            session.execute(
                delete(EvalResult).where(
                    EvalResult.run_id == run_id, EvalResult.task == task, EvalResult.dataset == dataset
                )
            )
            session.add_all(objects)
        return len(objects)

    def query_results(
        self,
        run_ids: Iterable[str] | None = None,
        tasks: Iterable[str] | None = None,
        datasets: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Result rows as plain dicts (fast: no ORM objects), oldest first."""
        columns = [getattr(EvalResult, name) for name in RESULT_COLUMNS]
        query = select(*columns)
        if run_ids is not None:
            query = query.where(col(EvalResult.run_id).in_(list(run_ids)))
        if tasks is not None:
            query = query.where(col(EvalResult.task).in_(list(tasks)))
        if datasets is not None:
            query = query.where(col(EvalResult.dataset).in_(list(datasets)))
        query = query.order_by(col(EvalResult.id).asc())
        with self._session(write=False) as session:
            return [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in session.execute(query)]

    def count(self, table: type) -> int:
        with self._session(write=False) as session:
            return session.execute(select(func.count()).select_from(table)).scalar_one()
