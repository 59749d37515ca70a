"""`sviml run`: start training runs (pre-training, task heads) under DeepSpeed ZeRO."""

from __future__ import annotations

from pathlib import Path

import typer

from sviml_cli.context import launcher

app = typer.Typer(help="Start training runs under DeepSpeed ZeRO.", no_args_is_help=True)

ARGS_HELP = "Overrides `section.key=value` (e.g. train.lr=1e-4 model.video.depth=6); after --resume, a run id."


def start_recipe(
    ctx: typer.Context, recipe: str, config: str, args: list[str], nproc: int, hostfile: Path | None,
    resume: bool, name: str | None,
) -> int:
    """Create (or pick up) the run and execute it; returns the exit code."""
    from core.config import parse_overrides
    from core.errors import UserError

    runs = launcher(ctx)
    if nproc < 1:
        raise UserError("--nproc must be >= 1")
    overrides = [a for a in args if "=" in a]
    positional = [a for a in args if "=" not in a]
    if positional and not resume:
        raise UserError(f"unexpected argument {positional[0]!r}: overrides look like section.key=value")
    if len(positional) > 1:
        raise UserError("--resume takes at most one run id")
    if resume:
        if overrides:
            raise UserError("a resumed run keeps its config: drop the overrides")
        run = runs.find_resumable(recipe, positional[0] if positional else None)
        if run.world_size != nproc:
            raise UserError(f"run {run.id} ran with {run.world_size} processes: resume it with --nproc {run.world_size}")
        typer.echo(f"resuming run {run.id} ({run.name})", err=True)
    else:
        run = runs.create(recipe, config, parse_overrides(overrides), nproc, name=name)
        typer.echo(f"run {run.id} ({run.name}): {run.run_dir}", err=True)
    code = runs.execute(run, nproc, hostfile, resume)
    final = runs.registry.require_run(run.id)
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


HEAD_HINT = "score it with `sviml eval --task {task}` (the newest finished head of a checkpoint is reused)"


CONFIG_HELP = "Config of the {recipe} recipe (tiny, small, base) or a YAML path."


def _head_command(name: str, recipe: str, task: str, doc: str) -> None:
    """Register `sviml run NAME`: the same options as `pretrain`, for one task-head recipe."""

    def command(
        ctx: typer.Context,
        args: list[str] = typer.Argument(None, help=ARGS_HELP, show_default=False),
        config: str = typer.Option("small", "--recipe", "-r", help=CONFIG_HELP.format(recipe=recipe)),
        nproc: int = typer.Option(1, "--nproc", help="Processes (GPUs, or CPU ranks over gloo) on this machine."),
        hostfile: Path | None = typer.Option(None, "--hostfile", help="DeepSpeed hostfile for several nodes."),
        resume: bool = typer.Option(False, "--resume", help="Continue the newest unfinished run (or the id given)."),
        run_name: str | None = typer.Option(None, "--name", help="A name for the run."),
    ) -> None:
        code = start_recipe(ctx, recipe, config, args or [], nproc, hostfile, resume, run_name)
        if code == 0:
            typer.echo(HEAD_HINT.format(task=task), err=True)
        raise typer.Exit(code)

    command.__doc__ = doc
    app.command(name, context_settings={"allow_interspersed_args": True})(command)


_head_command("finetune-retrieval", "finetune_retrieval", "retrieval_ft",
              "Fine-tune both towers contrastively for text-video retrieval (MSR-VTT 9k train).")
_head_command("finetune-qa", "finetune_qa", "qa",
              "Fine-tune a fusion head and the towers for open-ended video QA (MSRVTT-QA, MSVD-QA).")
_head_command("finetune-action", "finetune_action", "action_ft",
              "Fine-tune the video tower and a linear classifier for action recognition (UCF101, HMDB51).")
_head_command("train-localizer", "train_localizer", "tal",
              "Train a temporal action localizer on frozen sliding-window features (ActivityNet v1.3).")

from sviml_cli.ablation import ablation  # noqa: E402 (kept beside the other `sviml run` commands)

app.command("ablation")(ablation)
