"""What a team does with runs after they ran: tags, notes, deletion, and the reads `sviml gc` needs.

Mixed into `core.registry.api.Registry` (which provides `_session`), so that the registry stays one
object with one API while each file keeps one job. Deleting a run is one transaction per run: its
results, checkpoints, notes and row go and a `PendingDeletion` naming its files is recorded together;
the files are removed afterwards (`core.housekeeping.removal`), so a crash leaves either the run whole
or its rows gone with the pending deletion that `sviml gc` finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.errors import UserError
from core.registry.tables import Checkpoint, EvalResult, PendingDeletion, Run, RunLease, RunNote
from core.registry.tags import PROTECTED, check_key

# The run columns `sviml gc` decides on, and two values of its config (read in SQL: decoding 10,000
# whole configs would cost more than the rest of a dry run).
GC_RUN_COLUMNS = ("id", "name", "recipe", "status", "created", "parent_id", "tags", "run_dir")
GC_CONFIG_VALUES = {"keep_last": (("train", "keep_last"), "as_integer"),
                    "init_checkpoint": (("init", "checkpoint"), "as_string")}
CHECKPOINT_COLUMNS = ("id", "run_id", "tag", "step", "path", "kind", "complete", "bytes")


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class CurationQueries:
    """Tags, notes, deletion and housekeeping reads (see the module docstring)."""

    _session: Callable[[bool], AbstractContextManager[Session]]

    def _require(self, session: Session, run_id: str) -> Run:
        run = session.get(Run, run_id)
        if run is None:
            raise UserError(f"no run with id {run_id!r} (see `sviml runs ls`)")
        return run

    # -- tags and notes -------------------------------------------------------------------------
    def set_tags(self, run_id: str, updates: Mapping[str, str], remove: Iterable[str] = ()) -> dict[str, Any]:
        """Add or change `updates` and drop `remove` on one run, atomically; returns the new tags."""
        remove = [check_key(key) for key in remove]
        for key in [*updates, *remove]:
            if key in PROTECTED:
                raise UserError(f"tag {key!r} is set by sviml and read by its lookups: it cannot be changed")
        with self._session(True) as session:
            run = self._require(session, run_id)
            tags = dict(run.tags or {})
            for key in remove:
                if key not in tags:
                    raise UserError(f"run {run_id} has no tag {key!r}")
                del tags[key]
            tags.update(updates)
            run.tags = tags  # a new dict: the JSON column notices reassignment, not mutation
            session.add(run)
        return tags

    def add_note(self, run_id: str, text: str) -> RunNote:
        text = text.strip()
        if not text:
            raise UserError("a note needs some text")
        with self._session(True) as session:
            self._require(session, run_id)
            note = RunNote(run_id=run_id, text=text)
            session.add(note)
            session.flush()
            session.refresh(note)
        return note

    def notes(self, run_ids: Iterable[str]) -> dict[str, list[RunNote]]:
        """Each run's notes, oldest first (runs without notes are absent)."""
        found: dict[str, list[RunNote]] = {}
        with self._session(False) as session:
            for chunk in _chunks(list(dict.fromkeys(run_ids))):
                query = select(RunNote).where(col(RunNote.run_id).in_(chunk))
                for note in session.exec(query.order_by(col(RunNote.created), col(RunNote.id))):
                    found.setdefault(note.run_id, []).append(note)
        return found

    # -- deletion -------------------------------------------------------------------------------
    def dependents(self, run_id: str) -> list[Run]:
        """Runs built on `run_id` (its task heads), oldest first."""
        with self._session(False) as session:
            query = select(Run).where(Run.parent_id == run_id).order_by(col(Run.created), col(Run.id))
            return list(session.exec(query))

    def delete_run_rows(self, run_id: str, pending: PendingDeletion | None) -> None:
        """One transaction: the run's results, checkpoints, notes, lease and row go, and `pending` is recorded."""
        with self._session(True) as session:
            self._require(session, run_id)
            children = session.exec(select(Run.id).where(Run.parent_id == run_id)).all()
            if children:
                raise UserError(f"run {run_id} has dependent runs ({', '.join(children)}): delete them first")
            checkpoints = select(Checkpoint.id).where(Checkpoint.run_id == run_id)
            # Another run's results keep their numbers when the checkpoint they name goes.
            session.execute(update(EvalResult).where(col(EvalResult.checkpoint_id).in_(checkpoints),
                                                     EvalResult.run_id != run_id).values(checkpoint_id=None))
            session.execute(delete(EvalResult).where(EvalResult.run_id == run_id))
            session.execute(delete(Checkpoint).where(Checkpoint.run_id == run_id))
            session.execute(delete(RunNote).where(RunNote.run_id == run_id))
            session.execute(delete(RunLease).where(RunLease.run_id == run_id))  # a dead owner's (live ones refused)
            session.execute(delete(Run).where(Run.id == run_id))
            if pending is not None:
                session.add(pending)

    def pending_deletions(self) -> list[PendingDeletion]:
        with self._session(False) as session:
            return list(session.exec(select(PendingDeletion).order_by(col(PendingDeletion.id))))

    def forget_pending(self, deletion_id: int) -> None:
        """The files of a pending deletion are gone: drop its row."""
        with self._session(True) as session:
            session.execute(delete(PendingDeletion).where(PendingDeletion.id == deletion_id))

    # -- what `sviml gc` reads --------------------------------------------------------------------
    def gc_runs(self) -> list[dict[str, Any]]:
        """Every run as a dict of `GC_RUN_COLUMNS` and `GC_CONFIG_VALUES` (None where absent); plain rows,
        no ORM objects: 10,000 runs stay fast."""
        columns = [getattr(Run, name) for name in GC_RUN_COLUMNS]
        config = Run.__table__.c.config
        values = [getattr(config[path], cast)() for path, cast in GC_CONFIG_VALUES.values()]
        names = (*GC_RUN_COLUMNS, *GC_CONFIG_VALUES)
        with self._session(False) as session:
            return [dict(zip(names, row, strict=True)) for row in session.execute(select(*columns, *values))]

    def all_checkpoints(self) -> list[dict[str, Any]]:
        """Every checkpoint row as a dict of `CHECKPOINT_COLUMNS`, by run then step."""
        columns = [getattr(Checkpoint, name) for name in CHECKPOINT_COLUMNS]
        query = select(*columns).order_by(col(Checkpoint.run_id), col(Checkpoint.step), col(Checkpoint.id))
        with self._session(False) as session:
            return [dict(zip(CHECKPOINT_COLUMNS, row, strict=True)) for row in session.execute(query)]

    def head_runs_in_results(self) -> set[str]:
        """Head runs that stored results name in their protocol (`head_run`): still in use."""
        head = EvalResult.protocol["head_run"].as_string()
        with self._session(False) as session:
            return {value for (value,) in session.execute(select(head).distinct()) if value}
