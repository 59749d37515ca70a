"""Ablation studies: one pre-training recipe trained several ways and seeds, each run evaluated.

A study file (`recipes/configs/ablation/<name>.yaml`) names the recipe and config, the seeds,
shared overrides, the variants (each a set of overrides, e.g. loss weights) and the evaluation.
`run_study` walks variants x seeds in a fixed order and, for each pair, finds its run by tags:
finished and evaluated -> skipped; finished without results -> evaluated; unfinished -> resumed
from its newest checkpoint; absent -> created and trained. So the same command resumes a study
wherever it stopped (a crash, Ctrl-C, a reboot), and `sviml report --ablation --study NAME`
reads the runs by their tags.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import load_yaml
from core.errors import UserError

STUDY_DIR = Path(__file__).resolve().parents[1] / "recipes" / "configs" / "ablation"


@dataclass
class Study:
    name: str
    recipe: str
    config: str
    seeds: list[int]
    overrides: dict[str, Any]
    variants: dict[str, dict[str, Any]]
    tasks: list[str] | None = None
    views: int = 2
    head_steps: int | None = None
    path: Path | None = None

    def plan(self) -> list[tuple[str, int]]:
        return [(variant, seed) for seed in self.seeds for variant in self.variants]


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


def study_names() -> list[str]:
    return sorted(p.stem for p in STUDY_DIR.glob("*.yaml"))


def load_study(name_or_path: str) -> Study:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = STUDY_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UserError(f"no ablation study {name_or_path!r}; studies: {', '.join(study_names())}")
    data = load_yaml(path)
    known = {"study", "recipe", "config", "seeds", "overrides", "variants", "eval"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(f"{path}: unknown key(s) {', '.join(unknown)}")
    variants = data.get("variants") or {}
    if not isinstance(variants, dict) or not variants:
        raise UserError(f"{path}: `variants` must map names to overrides")
    seeds = data.get("seeds") or [0]
    if not all(isinstance(s, int) for s in seeds):
        raise UserError(f"{path}: `seeds` must be integers")
    evaluation = data.get("eval") or {}
    return Study(
        name=str(data.get("study") or path.stem), recipe=str(data.get("recipe", "pretrain")),
        config=str(data.get("config", "small")), seeds=list(seeds), overrides=dict(data.get("overrides") or {}),
        variants={str(k): dict(v or {}) for k, v in variants.items()}, tasks=evaluation.get("tasks"),
        views=int(evaluation.get("views", 2)), head_steps=evaluation.get("head_steps"), path=path,
    )


def validate_study(study: Study) -> None:
    """Every variant's config must load (fails before any training)."""
    from core.train.launch import recipe_module
    from recipes import config_path

    module = recipe_module(study.recipe)
    for variant, seed in study.plan():
        module.load_config(config_path(study.recipe, study.config), overrides_for(study, variant, seed))
    from core.eval.catalog import EVALUATORS

    unknown = [t for t in study.tasks or [] if t not in EVALUATORS]
    if unknown:
        raise UserError(f"study {study.name}: unknown task {unknown[0]!r}")


def overrides_for(study: Study, variant: str, seed: int) -> dict[str, Any]:
    return {**study.overrides, **study.variants[variant], "train.seed": seed}


def find_run(registry: Any, study: Study, variant: str, seed: int):
    """The newest run of this (study, variant, seed), by its tags."""
    for run in registry.list_runs(recipe=study.recipe):
        tags = run.tags or {}
        if tags.get("ablation") == study.name and tags.get("variant") == variant and tags.get("seed") == seed:
            return run
    return None


def run_study(settings: Any, registry: Any, study: Study, nproc: int = 1,
              say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> StudyReport:
    from core.eval.context import EvalOptions
    from core.eval.runner import evaluate_all
    from core.train import launch

    validate_study(study)
    report = StudyReport(study.name)
    plan = study.plan()
    for number, (variant, seed) in enumerate(plan, start=1):
        step = StudyStep(variant, seed)
        report.steps.append(step)
        prefix = f"[{number}/{len(plan)}] {study.name} {variant} seed {seed}"
        run = find_run(registry, study, variant, seed)
        try:
            if run is None:
                run = launch.create(registry, settings, study.recipe, study.config, overrides_for(study, variant, seed),
                                    nproc, name=f"{study.name}-{variant}-s{seed}",
                                    tags={"ablation": study.name, "variant": variant, "seed": seed})
                say(f"{prefix}: training run {run.id}")
                launch.execute(run, settings, nproc, None, resume=False)
                step.action = "trained"
            elif run.status != "finished":
                say(f"{prefix}: resuming run {run.id} ({run.status})")
                launch.execute(run, settings, run.world_size, None, resume=True)
                step.action = "resumed"
            step.run_id = run.id
            run = registry.require_run(run.id)
            if run.status != "finished":
                step.action, step.detail = "failed", f"run {run.id} ended {run.status}"
                say(f"{prefix}: {step.detail}")
                if run.status == "interrupted":
                    break  # Ctrl-C: stop the study here; the same command resumes it
                continue
            done = {r["task"] for r in registry.query_results(run_ids=[run.id])}
            wanted = set(study.tasks) if study.tasks else None
            if (wanted is not None and wanted <= done) or (wanted is None and done):
                step.action = step.action or "skipped"
                say(f"{prefix}: run {run.id} already evaluated")
                continue
            say(f"{prefix}: evaluating run {run.id}")
            options = EvalOptions(views=study.views, head_steps=study.head_steps, show_progress=False)
            tasks = sorted(wanted - done) if wanted is not None else None
            summary = evaluate_all(settings, registry, run.id, None, tasks, options)
            failed = [f"{r.task}/{r.dataset}" for r in summary.reports if r.status == "failed"]
            step.action = step.action or "evaluated"
            step.detail = f"failed: {', '.join(failed)}" if failed else ""
        except KeyboardInterrupt:
            step.action, step.detail = "failed", "interrupted"
            say(f"{prefix}: interrupted; run the same command to resume")
            break
    return report
