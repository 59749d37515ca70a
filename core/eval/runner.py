"""`evaluate_all`: every task whose datasets are registered, on one checkpoint.

A task whose dataset is absent is skipped with a line saying so; a task that fails is recorded
as failed and the others go on. Results replace the previous evaluation of the same (run, task,
dataset) atomically, and land in `<run dir>/eval/<task>.json` with their details; the run's
TensorBoard log then shows every result and its HParams session (`core.mirror.tensorboard`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.eval.context import EvalContext, EvalOptions
from core.eval.outcome import result_rows, update_eval_json
from core.eval.target import EvalTarget, resolve_target

if TYPE_CHECKING:
    from core.registry import Registry
    from core.settings import Settings
    from core.train.launch import RecipeLauncher

log = logging.getLogger("sviml.eval")


@dataclass
class TaskReport:
    task: str
    dataset: str | None
    status: str  # ok | skipped | failed
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    chance: dict[str, float] = field(default_factory=dict)
    headline: tuple[str, ...] = ()


@dataclass
class EvalSummary:
    run_id: str
    checkpoint: str
    reports: list[TaskReport]

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.reports)


def pretraining_protocol(export_dir: Path) -> dict[str, Any]:
    """What every result of an export states about its pre-training: how the towers were initialised
    (`init`, one line) and the negatives each contrastive loss saw; empty for exports without them."""
    from core.model.initialization import describe_initialization
    from core.train.export import read_export_config

    config = read_export_config(export_dir)
    facts: dict[str, Any] = {}
    if config.get("initialization"):
        facts["init"] = describe_initialization(config["initialization"])
    if config.get("negatives"):
        facts["negatives"] = int(config["negatives"])
    return facts


def evaluate_all(settings: Settings, registry: Registry, run_id: str | None = None, checkpoint: Path | None = None,
                 tasks: Iterable[str] | None = None, options: EvalOptions | None = None,
                 launcher: RecipeLauncher | None = None, only_datasets: Iterable[str] | None = None) -> EvalSummary:
    """Evaluate one checkpoint on `tasks` (default: all); `launcher` starts the head runs that task
    heads train (`recipes.launch.Launcher`; without one, those tasks fail and the others go on).
    `only_datasets` narrows every task to those registered datasets (e.g. a validation slice added
    after the runs were evaluated), so the other datasets' results and heads are left as they are.

    Started on several processes (`sviml eval --nproc N`, torchrun's variables set), every rank
    extracts its share of each dataset (`core.data.sharding`); rank 0 records the results.
    """
    from core.data.registration import load_registered
    from core.eval.evaluators import EVALUATORS

    wanted = list(tasks) if tasks else list(EVALUATORS)
    unknown = [t for t in wanted if t not in EVALUATORS]
    if unknown:
        raise UserError(f"unknown task {unknown[0]!r}; tasks: {', '.join(EVALUATORS)}")
    datasets = registry.list_datasets()
    if only_datasets is not None:
        only = set(only_datasets)
        missing = sorted(only - {d.name for d in datasets})
        if missing:
            raise UserError(f"no registered dataset {missing[0]!r}; see `sviml data ls`")
        datasets = [d for d in datasets if d.name in only]
    main = join_evaluation_group(settings)
    options = options or EvalOptions()
    if not main:
        options = replace(options, show_progress=False)
    target = shared_target(registry, settings, run_id, checkpoint)
    ctx = EvalContext(settings, registry, target, options, launcher)
    pretraining = pretraining_protocol(target.export_dir)
    reports: list[TaskReport] = []
    for task in wanted:
        evaluator = EVALUATORS[task]
        matching = [d for d in datasets if d.kind in evaluator.kinds
                    and (not evaluator.synthetic_only or d.meta.get("synthetic"))]
        if not matching:
            kinds = "/".join(evaluator.kinds)
            reports.append(TaskReport(task, None, "skipped", f"no registered {kinds} dataset"
                                      + (" with synthetic ground truth" if evaluator.synthetic_only else "")
                                      + (" among the datasets named" if only_datasets is not None else "")))
            continue
        for dataset in matching:
            try:
                index = load_registered(registry, dataset.name)
                outcome = evaluator.run(ctx, dataset, index)
            except Exception as err:  # noqa: BLE001 - a failing task is recorded, the others go on
                message = f"{type(err).__name__}: {err}"
                log.error("%s on %s failed:\n%s", task, dataset.name, traceback.format_exc())
                if main:
                    update_eval_json(target.eval_dir, task, dataset.name, {"error": message})
                reports.append(TaskReport(task, dataset.name, "failed", message))
                continue
            outcome.protocol.update(annotation_hash=index.annotation_key(), dataset_kind=dataset.kind,
                                    checkpoint=str(target.export_dir), synthetic=bool(dataset.meta.get("synthetic")),
                                    **dataset.meta.get("protocol", {}))
            outcome.protocol.setdefault("head_run", None)
            if (target.run.tags or {}).get("world_size_history"):  # trained on several world sizes
                outcome.protocol["world_size_history"] = target.run.tags["world_size_history"]
            outcome.protocol.update(pretraining)
            if main:
                registry.replace_results(target.run.id, task, dataset.name,
                                         result_rows(target.run.id, target.checkpoint.id, task, dataset.name, outcome))
                update_eval_json(target.eval_dir, task, dataset.name, {
                    "metrics": outcome.metrics, "protocol": outcome.protocol, "chance": outcome.chance,
                    "n": outcome.n, "split": outcome.split, "details": outcome.details,
                })
            reports.append(TaskReport(task, dataset.name, "ok", metrics=outcome.metrics, chance=outcome.chance,
                                      headline=evaluator.headline))
    _mirror_to_tensorboard(registry, target.run.id)
    return EvalSummary(target.run.id, str(target.export_dir), reports)


def join_evaluation_group(settings: Settings) -> bool:
    """Join the process group when started by torchrun (`sviml eval --nproc N`); whether this is rank 0."""
    import os

    from core.console import stdout_to_stderr
    from core.train.distributed import init_distributed

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        with stdout_to_stderr():  # DeepSpeed's op build prints on stdout, which `--json` owns
            return init_distributed(settings.resolved_device()).is_main
    return True


def shared_target(registry: Registry, settings: Settings, run_id: str | None,
                  checkpoint: Path | None) -> EvalTarget:
    """The evaluated checkpoint, resolved by rank 0 (which may register an external run) for every rank."""
    from core.data.sharding import eval_rank
    from core.train.distributed import broadcast_object

    rank, world = eval_rank()
    if world == 1:
        return resolve_target(registry, settings, run_id, checkpoint)
    chosen, problem = None, None
    if rank == 0:
        try:
            chosen = resolve_target(registry, settings, run_id, checkpoint)
        except UserError as err:
            problem = str(err)
    run_id, problem = broadcast_object((chosen.run.id if chosen is not None else None, problem))
    if problem is not None:
        raise UserError(problem)
    return chosen if chosen is not None else resolve_target(registry, settings, run_id, None)


def _mirror_to_tensorboard(registry: Registry, run_id: str) -> None:
    """The run's results into its TensorBoard log; a failure there costs the view, not the evaluation."""
    from core.mirror.tensorboard import mirror_runs

    try:
        mirror_runs(registry, [run_id])
    except Exception as err:  # noqa: BLE001 - the results are stored; `sviml export tensorboard` retries
        log.warning("could not write the results to TensorBoard for run %s: %s", run_id, err)
