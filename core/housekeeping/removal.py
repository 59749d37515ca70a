"""`sviml runs rm`: what deleting runs removes (a plan, shown first), and doing it.

A run goes with its folder (config, checkpoints, logs, TensorBoard, exports), the feature caches of
its exported weights, and its rows (checkpoints, results, notes). Never touched: a registered
dataset, a folder that is not the run's own (an `external` run's checkpoint is the user's folder),
a run whose processes are alive. Runs built on a run (its task heads) go with it only when asked
(`recursive`), children first. Per run, the rows go and a pending deletion naming the files is
recorded in one transaction, then the files go and the pending row with them; a crash in between
leaves the pending deletion that `sviml gc` finishes (`finish_pending`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import UserError
from core.housekeeping.deletion_log import log_deletion
from core.housekeeping.disk import remove_path, touches_any, tree_bytes
from core.housekeeping.feature_caches import cache_folders_of
from core.registry.liveness import run_is_alive
from core.registry.tables import PendingDeletion

if TYPE_CHECKING:
    from core.registry import Registry, Run
    from core.settings import Settings


@dataclass
class RunRemoval:
    """One run's deletion: its files with their sizes, how many rows go, where its export is kept."""

    run: Run
    paths: list[tuple[Path, int]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # checkpoints, results, notes
    keep_export: tuple[Path, Path] | None = None  # (from, to)
    notes: list[str] = field(default_factory=list)  # what a user should know (a folder left alone, ...)

    @property
    def bytes(self) -> int:
        kept = tree_bytes(self.keep_export[0]) if self.keep_export else 0
        return sum(size for _, size in self.paths) - kept


@dataclass
class RemovalPlan:
    removals: list[RunRemoval]  # children before their parents

    @property
    def bytes(self) -> int:
        return sum(removal.bytes for removal in self.removals)


def _closure(registry: Registry, run_ids: list[str], recursive: bool) -> list[Run]:
    """The runs to delete, children before parents; dependents outside the request need `recursive`."""
    ordered: list[Run] = []
    seen: set[str] = set()

    def visit(run: Run) -> None:
        if run.id in seen:
            return
        seen.add(run.id)
        children = registry.dependents(run.id)
        outside = [child.id for child in children if child.id not in run_ids]
        if outside and not recursive:
            raise UserError(f"run {run.id} has {len(children)} dependent run(s) (its task heads: "
                            f"{', '.join(outside[:5])}{', ...' if len(outside) > 5 else ''}): delete them too "
                            "with --recursive, or delete them first")
        for child in children:
            visit(child)
        ordered.append(run)

    for run_id in run_ids:
        visit(registry.require_run(run_id))
    return ordered


def plan_run_removal(registry: Registry, settings: Settings, run: Run, keep_export: bool,
              dataset_roots: dict[Path, str]) -> RunRemoval:
    removal = RunRemoval(run=run)
    run_dir = Path(run.run_dir) if run.run_dir else None
    if run_dir is not None and run_dir.name == run.id:
        removal.paths.append((run_dir, tree_bytes(run_dir)))
    elif run_dir is not None:
        # Only a folder sviml made for this run (named by its id) is ever deleted whole.
        removal.notes.append(f"folder {run_dir} is not named by the run id: left in place")
    checkpoints = registry.list_checkpoints(run.id)
    exports = [Path(c.path) for c in checkpoints if c.kind == "export" and c.complete]
    for folder in cache_folders_of(settings, exports):
        removal.paths.append((folder, tree_bytes(folder)))
    for path, _ in removal.paths:
        hit = touches_any(path, dataset_roots)
        if hit is not None:
            raise UserError(f"refusing to delete run {run.id}: {path} overlaps dataset {dataset_roots[hit]} ({hit})")
    removal.rows = {"checkpoints": len(checkpoints), "results": len(registry.query_results(run_ids=[run.id])),
                    "notes": len(registry.notes([run.id]).get(run.id, []))}
    export = run_dir / "export" if run_dir is not None else None
    if keep_export and export is not None and export.is_dir() and removal.paths and removal.paths[0][0] == run_dir:
        target = settings.exports_dir / run.id
        if target.exists():
            raise UserError(f"cannot keep the export of run {run.id}: {target} already exists")
        removal.keep_export = (export, target)
    return removal


def plan_removal(registry: Registry, settings: Settings, run_ids: list[str], *, recursive: bool = False,
                 keep_export: bool = False) -> RemovalPlan:
    """What deleting `run_ids` removes; a `UserError` (nothing deleted) for an unknown id, a live run,
    dependents without `recursive`, or a path that overlaps a registered dataset."""
    wanted = list(dict.fromkeys(run_ids))
    if not wanted:
        raise UserError("name at least one run id (see `sviml runs ls`)")
    runs = _closure(registry, wanted, recursive)
    for run in runs:
        alive = run_is_alive(registry, run)
        if alive is not None:
            raise UserError(alive)
    dataset_roots = {Path(d.root): d.name for d in registry.list_datasets()}
    return RemovalPlan([plan_run_removal(registry, settings, run, keep_export, dataset_roots) for run in runs])


def finish_pending(registry: Registry, settings: Settings, pending: PendingDeletion) -> int:
    """Remove the files of a pending deletion (keeping its export first) and its row; returns bytes freed."""
    freed = 0
    if pending.keep_export_from and pending.keep_export_to:
        source, target = Path(pending.keep_export_from), Path(pending.keep_export_to)
        if source.is_dir() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), str(target))
            log_deletion(settings.deletion_log, "kept export of run", f"{pending.run_id}: {source} -> {target}")
    for text in pending.paths:
        path = Path(text)
        if path.exists() or path.is_symlink():
            size = tree_bytes(path)
            remove_path(path)
            freed += size
            log_deletion(settings.deletion_log, f"removed files of run {pending.run_id}:", str(path), size)
    assert pending.id is not None
    registry.forget_pending(pending.id)
    return freed


def remove_run(registry: Registry, settings: Settings, removal: RunRemoval) -> int:
    """Delete one planned run: rows and the pending record together, then its files; returns bytes freed."""
    run = removal.run
    keep_from, keep_to = removal.keep_export or (None, None)
    pending = PendingDeletion(run_id=run.id, run_name=run.name, paths=[str(path) for path, _ in removal.paths],
                              keep_export_from=str(keep_from) if keep_from else None,
                              keep_export_to=str(keep_to) if keep_to else None, bytes=removal.bytes)
    registry.delete_run_rows(run.id, pending)
    counts = ", ".join(f"{count} {what}" for what, count in removal.rows.items())
    log_deletion(settings.deletion_log, "deleted run", f"{run.id} ({run.name}, {run.recipe}): rows {counts}")
    return finish_pending(registry, settings, pending)


def execute_removal(registry: Registry, settings: Settings, plan: RemovalPlan) -> int:
    """Delete every planned run, children first; returns the bytes freed."""
    return sum(remove_run(registry, settings, removal) for removal in plan.removals)
