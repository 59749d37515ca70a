"""`sviml run`: start training runs (pre-training, task heads) under DeepSpeed ZeRO."""

from __future__ import annotations

from pathlib import Path

import typer

from sviml_cli.context import state

app = typer.Typer(help="Start training runs under DeepSpeed ZeRO.", no_args_is_help=True)

ARGS_HELP = "Overrides `section.key=value` (e.g. train.lr=1e-4 model.video.depth=6); after --resume, a run id."


def start_recipe(
    ctx: typer.Context, recipe: str, config: str, args: list[str], nproc: int, hostfile: Path | None,
    resume: bool, name: str | None,
) -> int:
    """Create (or pick up) the run and execute it; returns the exit code."""
    from core.config import parse_overrides
    from core.errors import UserError
    from core.train import launch

    app_state = state(ctx)
    if nproc < 1:
        raise UserError("--nproc must be >= 1")
    overrides = [a for a in args if "=" in a]
    positional = [a for a in args if "=" not in a]
    if positional and not resume:
        raise UserError(f"unexpected argument {positional[0]!r}: overrides look like section.key=value")
    if len(positional) > 1:
        raise UserError("--resume takes at most one run id")
    registry = app_state.registry
    if resume:
        if overrides:
            raise UserError("a resumed run keeps its config: drop the overrides")
        run = launch.find_resumable(registry, recipe, positional[0] if positional else None)
        if run.world_size != nproc:
            raise UserError(f"run {run.id} ran with {run.world_size} processes: resume it with --nproc {run.world_size}")
        typer.echo(f"resuming run {run.id} ({run.name})", err=True)
    else:
        run = launch.create(registry, app_state.settings, recipe, config, parse_overrides(overrides), nproc, name)
        typer.echo(f"run {run.id} ({run.name}): {run.run_dir}", err=True)
    code = launch.execute(run, app_state.settings, nproc, hostfile, resume)
    final = registry.require_run(run.id)
    typer.echo(f"run {run.id}: {final.status}" + (f" ({final.error})" if final.error else ""), err=True)
    return code


@app.command("pretrain", context_settings={"allow_interspersed_args": True})
def pretrain(
    ctx: typer.Context,
    args: list[str] = typer.Argument(None, help=ARGS_HELP, show_default=False),
    recipe: str = typer.Option("small", "--recipe", "-r", help="Config of the pretrain recipe (tiny, small, base) or a YAML path."),
    nproc: int = typer.Option(1, "--nproc", help="Processes (GPUs, or CPU ranks over gloo) on this machine."),
    hostfile: Path | None = typer.Option(None, "--hostfile", help="DeepSpeed hostfile for several nodes."),
    resume: bool = typer.Option(False, "--resume", help="Continue the newest unfinished run (or the id given)."),
    name: str | None = typer.Option(None, "--name", help="A name for the run."),
) -> None:
    """Pre-train S-ViLM with a recipe config."""
    code = start_recipe(ctx, "pretrain", recipe, args or [], nproc, hostfile, resume, name)
    raise typer.Exit(code)
