"""Which runs a report shows, and their results, read through the registry's fast reader.

Default: every pre-training run that has results, newest first. `--runs` names runs exactly (any
recipe, shown even without results); the run filters `runs ls` takes (`--tag KEY=VALUE`, `--status`,
`--recipe` instead of pre-training, `--name GLOB`) and `--last N` (the newest N) narrow either set. A `--baseline` run joins the selection if it is not in it.
Results belong to the PRE-TRAINING run they evaluate (also those of tasks with a trained head),
so head runs never need to be listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.errors import UserError
from core.registry.schema import RunFilter

_CHUNK = 500  # ids per IN (...) query: well under SQLite's variable limit on any build


@dataclass
class Selection:
    """Run records (with `config` and `run_dir`) in display order, and the results of those runs."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def run_details(reader: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`config` and `run_dir` of runs (the run records of `run_records` leave them out, for speed)."""
    return {record["id"]: record for record in reader.run_details(ids)}


def _unknown(run_id: str) -> UserError:
    return UserError(f"no run with id {run_id!r} (see `sviml runs ls`)")


def select_runs(
    reader: Any,
    *,
    run_ids: Iterable[str] = (),
    last: int | None = None,
    name: str | None = None,
    tasks: Iterable[str] | None = None,
    baseline: str | None = None,
    where: RunFilter = RunFilter(),
) -> Selection:
    """The runs to report and their results; an unknown id is a `UserError`. `where` narrows them (its
    recipe, when given, replaces the default pre-training), `name` is a glob like `where.name_glob`."""
    if last is not None and last < 1:
        raise UserError(f"--last must be a positive number of runs, got {last}")
    task_list = list(tasks) if tasks else None
    ids = list(dict.fromkeys(run_ids))
    where = replace(where, name_glob=name or where.name_glob, limit=None)
    if ids:
        records = {run["id"]: run for run in reader.run_records()}
        for run_id in ids:
            if run_id not in records:
                raise _unknown(run_id)
        chosen = [records[run_id] for run_id in ids
                  if where.recipe in (None, records[run_id]["recipe"]) and where.accepts(records[run_id])]
        results = reader.query_results(run_ids=ids, tasks=task_list)
    else:
        results = reader.query_results(tasks=task_list)
        with_results = {result["run_id"] for result in results}
        records = {run["id"]: run for run in reader.run_records(replace(where, recipe=where.recipe or "pretrain"))}
        chosen = [run for run in records.values() if run["id"] in with_results]
    if last is not None:
        chosen = chosen[:last]
    if baseline is not None and baseline not in {run["id"] for run in chosen}:
        found = next((run for run in reader.run_records() if run["id"] == baseline), None)
        if found is None:
            raise _unknown(baseline)
        chosen.insert(0, found)
        if not any(result["run_id"] == baseline for result in results):
            results = [*results, *reader.query_results(run_ids=[baseline], tasks=task_list)]
    keep = {run["id"] for run in chosen}
    details = run_details(reader, list(keep))
    runs = [{**run, **details.get(run["id"], {})} for run in chosen]
    return Selection(runs=runs, results=[result for result in results if result["run_id"] in keep])
