"""Ablation studies: one pre-training recipe trained several ways and seeds, each run evaluated.

A study file (`<study folder>/<name>.yaml`, the CLI's folder being `recipes/configs/ablation/`)
names the recipe and config, the seeds, shared overrides, the variants (each a set of overrides,
e.g. loss weights) and the evaluation. `run_study` walks variants x seeds in a fixed order and,
for each pair, finds its run by tags: finished and evaluated -> skipped; finished without results
-> evaluated; unfinished -> resumed from its newest checkpoint; absent -> created and trained. So
the same command resumes a study wherever it stopped (a crash, Ctrl-C, a reboot), and
`sviml report --ablation --study NAME` reads the runs by their tags. Runs are started through the
`RecipeLauncher` the caller passes in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from core.config import ConfigModel, load_yaml, validate_config
from core.errors import UserError
from core.registry.schema import RunStatus

if TYPE_CHECKING:
    from core.registry import Registry, Run
    from core.settings import Settings
    from core.train.launch import RecipeLauncher


class StudyEval(ConfigModel):
    tasks: list[str] | None = None  # None: every task whose datasets are registered
    views: int = Field(2, ge=1)
    # Steps of the heads that tasks train: one count for every head, or per task ({qa: 80, tal: 400}),
    # a task left out keeping its head recipe's own count. Per task because heads differ: the QA
    # head is usable at 80 steps, the TAL localizer is near chance at 80 and needs its recipe's 400.
    head_steps: int | dict[str, int] | None = None

    @field_validator("head_steps")
    @classmethod
    def _positive_steps(cls, value: int | dict[str, int] | None) -> int | dict[str, int] | None:
        counts = value.values() if isinstance(value, dict) else [] if value is None else [value]
        if any(count < 1 for count in counts):
            raise ValueError("head steps must be at least 1")
        return value

    def steps_for(self, task: str) -> int | None:
        """The head steps this study asks of `task` (None: the head recipe's own count)."""
        return self.head_steps.get(task) if isinstance(self.head_steps, dict) else self.head_steps


class Study(ConfigModel):
    """A study file: what to train, how many ways and seeds, and how to evaluate."""

    study: str = ""  # its name (default: the file's stem)
    recipe: str = "pretrain"
    config: str = "small"
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = Field(min_length=1)  # name -> overrides
    eval: StudyEval = Field(default_factory=StudyEval)

    @property
    def name(self) -> str:
        return self.study

    def plan(self) -> list[tuple[str, int]]:
        return [(variant, seed) for seed in self.seeds for variant in self.variants]

    def only(self, variants: list[str]) -> Study:
        """The same study restricted to some variants (file order kept), e.g. the paired arms first.

        The runs keep the study's name and each variant's overrides, so the full study later finds
        and skips them."""
        unknown = [v for v in variants if v not in self.variants]
        if unknown:
            raise UserError(f"study {self.name}: no variant {unknown[0]!r}; variants: {', '.join(self.variants)}")
        return self.model_copy(update={"variants": {v: o for v, o in self.variants.items() if v in variants}})


@dataclass
class StudyStep:
    variant: str
    seed: int
    run_id: str | None = None
    action: str = ""  # trained | resumed | evaluated | skipped | failed
    detail: str = ""


@dataclass
class StudyReport:
    study: str
    steps: list[StudyStep] = field(default_factory=list)


def study_names(study_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(study_dir).glob("*.yaml"))


def load_study(name_or_path: str, study_dir: Path) -> Study:
    """A study by name (`<study_dir>/<name>.yaml`) or YAML path, validated."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = Path(study_dir) / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UserError(f"no ablation study {name_or_path!r}; studies: {', '.join(study_names(study_dir))}")
    data = load_yaml(path)
    data.setdefault("study", path.stem)
    try:
        return validate_config(Study, data)
    except UserError as err:
        raise UserError(f"{path}: {err}") from err


def validate_study(study: Study, launcher: RecipeLauncher) -> None:
    """Every variant's config must load, every task must exist (fails before any training)."""
    from core.eval.evaluators import EVALUATORS

    for variant, seed in study.plan():
        launcher.load_config(study.recipe, study.config, overrides_for(study, variant, seed))
    named = list(study.eval.head_steps) if isinstance(study.eval.head_steps, dict) else []
    unknown = [t for t in [*(study.eval.tasks or []), *named] if t not in EVALUATORS]
    if unknown:
        raise UserError(f"study {study.name}: unknown task {unknown[0]!r}")


def overrides_for(study: Study, variant: str, seed: int) -> dict[str, Any]:
    return {**study.overrides, **study.variants[variant], "train.seed": seed}


def find_run(registry: Registry, study: Study, variant: str, seed: int) -> Run | None:
    """The newest run of this (study, variant, seed), by its tags."""
    for run in registry.list_runs(recipe=study.recipe):
        tags = run.tags or {}
        if tags.get("ablation") == study.name and tags.get("variant") == variant and tags.get("seed") == seed:
            return run
    return None


def evaluated_tasks(registry: Registry, study: Study, run_id: str) -> set[str]:
    """The tasks of this run evaluated as the study asks: a head task whose results were measured
    with other head steps than the study names counts as not evaluated (the study's file changed),
    so the same command re-evaluates it and `replace_results` swaps the old rows out."""
    stale, seen = set(), set()
    for row in registry.query_results(run_ids=[run_id]):
        seen.add(row["task"])
        wanted = study.eval.steps_for(row["task"])
        measured = (row["protocol"] or {}).get("head_steps")
        if wanted is not None and measured is not None and measured != wanted:
            stale.add(row["task"])
    return seen - stale


def tasks_by_head_steps(study: Study, tasks: list[str] | None) -> list[tuple[int | None, list[str] | None]]:
    """Split the tasks to evaluate into groups of equal head steps, one `evaluate_all` call each.
    `tasks` None (every registered task) stays one call when the study names one count or none."""
    if tasks is None:
        if isinstance(study.eval.head_steps, dict):
            from core.eval.evaluators import EVALUATORS

            tasks = list(EVALUATORS)
        else:
            return [(study.eval.head_steps, None)]
    groups: dict[int | None, list[str]] = {}
    for task in tasks:
        groups.setdefault(study.eval.steps_for(task), []).append(task)
    return list(groups.items())


def run_study(settings: Settings, registry: Registry, launcher: RecipeLauncher, study: Study, nproc: int = 1,
              say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> StudyReport:
    from core.eval.context import EvalOptions
    from core.eval.runner import evaluate_all
    from core.train.launch import LaunchPlan

    validate_study(study, launcher)
    report = StudyReport(study.name)
    plan = study.plan()
    for number, (variant, seed) in enumerate(plan, start=1):
        step = StudyStep(variant, seed)
        report.steps.append(step)
        prefix = f"[{number}/{len(plan)}] {study.name} {variant} seed {seed}"
        run = find_run(registry, study, variant, seed)
        try:
            if run is None:
                run = launcher.create(study.recipe, study.config, overrides_for(study, variant, seed), nproc,
                                      name=f"{study.name}-{variant}-s{seed}",
                                      tags={"ablation": study.name, "variant": variant, "seed": seed})
                say(f"{prefix}: training run {run.id}")
                launcher.execute(run, LaunchPlan(nproc=nproc))
                step.action = "trained"
            elif run.status != RunStatus.FINISHED:
                say(f"{prefix}: resuming run {run.id} ({run.status})")
                launcher.execute(run, LaunchPlan(nproc=run.world_size), resume=True)
                step.action = "resumed"
            step.run_id = run.id
            run = registry.require_run(run.id)
            if run.status != RunStatus.FINISHED:
                step.action, step.detail = "failed", f"run {run.id} ended {run.status}"
                say(f"{prefix}: {step.detail}")
                if run.status == RunStatus.INTERRUPTED:
                    break  # Ctrl-C: stop the study here; the same command resumes it
                continue
            done = evaluated_tasks(registry, study, run.id)
            wanted = set(study.eval.tasks) if study.eval.tasks else None
            if (wanted is not None and wanted <= done) or (wanted is None and done):
                step.action = step.action or "skipped"
                say(f"{prefix}: run {run.id} already evaluated")
                continue
            say(f"{prefix}: evaluating run {run.id}")
            failed = []
            for steps, tasks in tasks_by_head_steps(study, sorted(wanted - done) if wanted is not None else None):
                options = EvalOptions(views=study.eval.views, head_steps=steps, show_progress=False)
                summary = evaluate_all(settings, registry, run.id, None, tasks, options, launcher)
                failed += [f"{r.task}/{r.dataset}" for r in summary.reports if r.status == "failed"]
            step.action = step.action or "evaluated"
            step.detail = f"failed: {', '.join(failed)}" if failed else ""
        except KeyboardInterrupt:
            step.action, step.detail = "failed", "interrupted"
            say(f"{prefix}: interrupted; run the same command to resume")
            break
    return report
