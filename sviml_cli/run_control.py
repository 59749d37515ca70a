"""`sviml runs stop`: stop a running run's workers, from any shell, after a final checkpoint."""

from __future__ import annotations

import time

import typer

from sviml_cli.context import state
from sviml_cli.runs import app


@app.command("stop")
def stop_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id (see `sviml runs ls`)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until the run has ended."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait at most."),
) -> None:
    """SIGTERM to the run's workers (and a stop request other hosts see): final checkpoint, `interrupted`."""
    from core.registry.schema import RunStatus
    from core.train.ownership import stop_run as request_stop

    registry = state(ctx).registry
    run = registry.require_run(run_id)
    asked = request_stop(registry, run)
    where = ", ".join(f"{p.host}:{p.pid}" for p in asked)
    typer.echo(f"run {run.id}: stop requested ({where}); it ends after a final checkpoint", err=True)
    if not wait:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = registry.require_run(run.id).status
        if status not in (RunStatus.PENDING, RunStatus.RUNNING):
            typer.echo(f"run {run.id}: {status}", err=True)
            return
        time.sleep(0.5)
    typer.echo(f"run {run.id}: still running after {timeout:.0f} s (its step may be long)", err=True)
    raise typer.Exit(1)
