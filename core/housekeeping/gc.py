"""`sviml gc`: what a home holds that nothing needs any more, with sizes; removed only when applied.

Found, for every run whose processes are not alive:
- files of deleted runs whose deletion was interrupted (pending deletions);
- resumable checkpoints beyond the run's `train.keep_last` (or `--keep-last N`; an unfinished run
  keeps at least one to resume from), incomplete ones, and checkpoint folders the registry never
  registered (a crash between writing and registering);
- head runs superseded by a newer finished head of the same recipe, checkpoint and dataset, unless
  stored results still name them;
- feature caches of weights that were deleted or exported again (`feature_caches.py`);
- run folders with no registry row (older than a few minutes: a run being created makes its folder
  first) and rows whose folder is gone.
Only what lies inside a run's own folder or the home's cache is ever removed. Every deletion is
logged in `<home>/deletions.log`.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.housekeeping.deletion_log import log_deletion
from core.housekeeping.disk import is_within, remove_path, tree_bytes
from core.housekeeping.feature_caches import unreachable_entries
from core.housekeeping.removal import RunRemoval, finish_pending, plan_run_removal, remove_run
from core.registry.liveness import run_is_alive
from core.registry.schema import STALE_AFTER, RunStatus
from core.registry.tables import PendingDeletion

if TYPE_CHECKING:
    from core.registry import Registry
    from core.settings import Settings

PENDING, BEYOND_KEEP, INCOMPLETE, UNREGISTERED = ("pending deletion", "checkpoint beyond keep_last",
                                                  "incomplete checkpoint", "unregistered checkpoint")
SUPERSEDED, CACHE, ORPHAN, NO_FOLDER = ("superseded head run", "unreachable feature cache", "folder without run",
                                        "run without folder")


@dataclass
class GcItem:
    """One thing to collect: its kind, the run it belongs to, a description, where it lies, its size."""

    kind: str
    run_id: str | None
    what: str
    path: Path | None = None
    bytes: int = 0
    checkpoint_id: int | None = None
    pending: PendingDeletion | None = None
    removal: RunRemoval | None = None


@dataclass
class GcPlan:
    items: list[GcItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # runs left alone because they are alive

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)


def _alive_runs(registry: Registry, runs: list[dict[str, Any]]) -> dict[str, str]:
    """run id -> why it is alive, for runs whose status says someone may be working on them."""
    alive = {}
    for record in runs:
        if record["status"] in (RunStatus.RUNNING, RunStatus.PENDING):
            why = run_is_alive(registry, registry.require_run(record["id"]))
            if why is not None:
                alive[record["id"]] = why
    return alive


def _checkpoint_items(run: dict[str, Any], checkpoints: list[dict[str, Any]], keep_last: int | None) -> list[GcItem]:
    # Strings and os.path, not pathlib, until something is found: this runs for every run of a team.
    run_dir = run["run_dir"]
    if not run_dir or os.path.basename(run_dir) != run["id"]:
        return []  # only checkpoints inside the run's own folder are ever removed
    resumable = [c for c in checkpoints if c["kind"] == "deepspeed"]
    complete = [c for c in resumable if c["complete"]]
    keep = keep_last if keep_last is not None else run["keep_last"] if run["keep_last"] is not None else 2
    if run["status"] != RunStatus.FINISHED:
        keep = max(keep, 1)  # an unfinished run keeps something to resume from
    items = []
    for checkpoint in complete[:len(complete) - keep] if keep else complete:
        items.append(GcItem(BEYOND_KEEP, run["id"], f"{checkpoint['tag']} (newest {keep} kept)",
                            Path(checkpoint["path"]), checkpoint["bytes"], checkpoint_id=checkpoint["id"]))
    for checkpoint in resumable:
        if not checkpoint["complete"]:
            path = Path(checkpoint["path"])
            items.append(GcItem(INCOMPLETE, run["id"], checkpoint["tag"], path, tree_bytes(path),
                                checkpoint_id=checkpoint["id"]))
    items = [item for item in items if item.path is not None and is_within(item.path, Path(run_dir))]
    registered = {os.path.normpath(c["path"]) for c in checkpoints}
    try:
        folders = [entry for entry in os.scandir(os.path.join(run_dir, "checkpoints"))
                   if entry.is_dir(follow_symlinks=False)]
    except OSError:
        folders = []
    for entry in sorted(folders, key=lambda e: e.name):
        if entry.name.startswith("step_") and os.path.normpath(entry.path) not in registered:
            items.append(GcItem(UNREGISTERED, run["id"], entry.name, Path(entry.path), tree_bytes(Path(entry.path))))
    return items


def _superseded_heads(runs: list[dict[str, Any]], alive: dict[str, str], in_results: set[str],
                      parents: set[str]) -> list[dict[str, Any]]:
    """Head runs with a newer finished head of the same recipe, parent, checkpoint and dataset."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        if run["parent_id"] and run["init_checkpoint"]:
            key = (run["recipe"], run["parent_id"], str((run["tags"] or {}).get("dataset")),
                   os.path.normpath(run["init_checkpoint"]))
            groups[key].append(run)
    superseded = []
    for members in groups.values():
        finished = [run for run in members if run["status"] == RunStatus.FINISHED]
        if not finished:
            continue
        newest = max(finished, key=lambda run: (run["created"], run["id"]))
        for run in members:
            if (run["created"], run["id"]) < (newest["created"], newest["id"]) and run["id"] not in alive \
                    and run["id"] not in in_results and run["id"] not in parents:
                superseded.append(run)
    return superseded


def _folder_items(settings: Settings, runs: list[dict[str, Any]], pending_runs: set[str], alive: dict[str, str],
                  parents: set[str], now: float) -> list[GcItem]:
    """Run folders without a row, and rows (of runs no other run builds on) whose folder is gone."""
    recorded = {os.path.normpath(run["run_dir"]): run for run in runs if run["run_dir"]}
    listed: set[str] = set()
    items = []
    for parent in settings.run_parent_dirs:
        try:
            entries = sorted(os.scandir(parent), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = os.path.normpath(entry.path)
            listed.add(path)
            if path in recorded or entry.name in pending_runs or not entry.is_dir(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER.total_seconds():
                continue  # a run being created right now makes its folder before its row
            items.append(GcItem(ORPHAN, None, entry.name, Path(entry.path), tree_bytes(Path(entry.path))))
    for path, run in recorded.items():
        if run["id"] in alive or run["id"] in parents:
            continue
        if path not in listed and not os.path.isdir(path):
            items.append(GcItem(NO_FOLDER, run["id"], f"{run['name']} ({run['recipe']}): {path} is gone"))
    return items


def plan_gc(registry: Registry, settings: Settings, keep_last: int | None = None) -> GcPlan:
    """Everything `sviml gc` would remove, with sizes (nothing is changed)."""
    plan = GcPlan()
    for pending in registry.pending_deletions():
        size = sum(tree_bytes(Path(path)) for path in pending.paths)
        plan.items.append(GcItem(PENDING, pending.run_id, f"files of deleted run {pending.run_name or pending.run_id}",
                                 None, size, pending=pending))
    pending_runs = {item.run_id for item in plan.items if item.run_id}
    runs = registry.gc_runs()
    alive = _alive_runs(registry, runs)
    plan.skipped = sorted(alive.values())
    parents = {run["parent_id"] for run in runs if run["parent_id"]}
    by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    exports = []
    for checkpoint in registry.all_checkpoints():
        by_run[checkpoint["run_id"]].append(checkpoint)
        if checkpoint["kind"] == "export" and checkpoint["complete"]:
            exports.append(Path(checkpoint["path"]))
    for run in runs:
        if run["id"] not in alive:
            plan.items += _checkpoint_items(run, by_run.get(run["id"], []), keep_last)
    datasets = {Path(d.root): d.name for d in registry.list_datasets()}
    for head in _superseded_heads(runs, alive, registry.head_runs_in_results(), parents):
        removal = plan_run_removal(registry, settings, registry.require_run(head["id"]), False, datasets)
        plan.items.append(GcItem(SUPERSEDED, head["id"], f"{head['name']} ({head['recipe']}, {head['status']})",
                                 Path(head["run_dir"]) if head["run_dir"] else None, removal.bytes, removal=removal))
    for entry in unreachable_entries(settings, exports):
        plan.items.append(GcItem(CACHE, None, entry.name, entry, tree_bytes(entry)))
    plan.items += _folder_items(settings, runs, pending_runs, alive, parents, time.time())
    return plan


def _remove(settings: Settings, item: GcItem) -> int:
    assert item.path is not None
    size = tree_bytes(item.path)
    remove_path(item.path)
    log_deletion(settings.deletion_log, f"gc: removed {item.kind}" + (f" of run {item.run_id}" if item.run_id else ""),
                 str(item.path), size)
    return size


def apply_gc(registry: Registry, settings: Settings, items: Iterable[GcItem]) -> int:
    """Remove what `plan_gc` found (rows before files, each deletion logged); returns bytes freed."""
    freed = 0
    for item in items:
        if item.pending is not None:
            freed += finish_pending(registry, settings, item.pending)
        elif item.removal is not None:
            freed += remove_run(registry, settings, item.removal)
        elif item.kind == NO_FOLDER:
            assert item.run_id is not None
            registry.delete_run_rows(item.run_id, None)
            log_deletion(settings.deletion_log, "gc: deleted the rows of run", f"{item.run_id}: {item.what}")
        else:
            if item.checkpoint_id is not None:
                registry.remove_checkpoints([item.checkpoint_id])
            freed += _remove(settings, item)
    return freed
