"""`sviml run ablation`: train and evaluate an ablation study, resumable, in the foreground or detached."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import typer

from sviml_cli.context import launcher, state
from sviml_cli.output import JSON_OUTPUT, print_json, print_table


def ablation(
    ctx: typer.Context,
    study: str = typer.Option("small", "--study", help="Study name (recipes/configs/ablation/) or a YAML path."),
    nproc: int = typer.Option(1, "--nproc", help="Processes per training run."),
    variants: str | None = typer.Option(
        None, "--variants", help="Comma-separated variants to run now (e.g. the paired arms first); default: all."),
    detach: bool = typer.Option(False, "--detach", help="Run in the background; its log goes to <home>/ablation/."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """Train every variant x seed of a study and evaluate each; the same command resumes it."""
    from core.ablation import load_study, run_study, validate_study
    from core.console import stdout_to_stderr
    from recipes import STUDY_DIR

    app_state = state(ctx)
    plan = load_study(study, STUDY_DIR)
    if variants:
        plan = plan.only([v.strip() for v in variants.split(",") if v.strip()])
    validate_study(plan, launcher(ctx))
    if detach:
        log_dir = app_state.settings.home / "ablation"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = log_dir / f"{plan.name}.log"
        with open(log, "a") as handle:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sviml_cli", "run", "ablation", "--study", study, "--nproc", str(nproc),
                 *(["--variants", variants] if variants else [])],
                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                env=dict(os.environ, SVIML_HOME=str(app_state.settings.home)),
            )
        typer.echo(f"study {plan.name} running in the background (pid {proc.pid}); log: {log}")
        typer.echo(f"follow with `tail -f {log}`; results: `sviml report --ablation --study {plan.name}`")
        return
    with stdout_to_stderr() if as_json else contextlib.nullcontext():
        report = run_study(app_state.settings, app_state.registry, launcher(ctx), plan, nproc)
    rows = [{"variant": s.variant, "seed": s.seed, "run_id": s.run_id, "action": s.action, "detail": s.detail}
            for s in report.steps]
    if as_json:
        print_json(rows)
    else:
        print_table(f"ablation study {plan.name}", ["variant", "seed", "run", "action", "detail"],
                    [(r["variant"], r["seed"], r["run_id"], r["action"], r["detail"]) for r in rows],
                    empty="Nothing to do.")
    if any(s.action == "failed" for s in report.steps):
        raise typer.Exit(1)
