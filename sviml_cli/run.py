"""`sviml run`: start training runs (pre-training, task heads) under DeepSpeed ZeRO, on one process, one
node (torchrun), several nodes (one `sviml run` per node, torchrun's options), a SLURM allocation
(`--launcher slurm`) or DeepSpeed's hostfile launcher."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sviml_cli.context import launcher

if TYPE_CHECKING:
    from core.train.launch import LaunchPlan

app = typer.Typer(help="Start training runs under DeepSpeed ZeRO.", no_args_is_help=True)

ARGS_HELP = "Overrides `section.key=value` (e.g. train.lr=1e-4 model.video.depth=6); after --resume, a run id."
CONFIG_HELP = "Config of the {recipe} recipe (tiny, small, base) or a YAML path."
HEAD_HINT = "score it with `sviml eval --task {task}` (the newest finished head of a checkpoint is reused)"


def start_recipe(ctx: typer.Context, recipe: str, config: str, args: list[str], plan_options: dict[str, Any],
                 resume: bool, name: str | None) -> int:
    """Create (or pick up) the run and execute this node's part of it; returns the exit code."""
    from core.config import parse_overrides
    from core.errors import UserError

    runs = launcher(ctx)
    plan = _plan(plan_options)
    overrides = [a for a in args if "=" in a]
    positional = [a for a in args if "=" not in a]
    if positional and not resume:
        raise UserError(f"unexpected argument {positional[0]!r}: overrides look like section.key=value")
    if len(positional) > 1:
        raise UserError("--resume takes at most one run id")
    if resume and overrides:
        raise UserError("a resumed run keeps its config: drop the overrides")
    if plan.nnodes > 1 and runs.settings.database_url.startswith("sqlite"):
        typer.echo("warning: several nodes share a SQLite registry: safe only when every node sees the same "
                   "local file; on a network filesystem use PostgreSQL (SVIML_DB_URL, see docs/cluster.md)", err=True)
    if plan.node_rank > 0:  # node rank 0 creates (or resumes) the run; this node's workers join it
        if not resume:
            runs.load_config(recipe, config, parse_overrides(overrides))  # bad input fails here, not on rank 0
        typer.echo(f"node {plan.node_rank} of {plan.nnodes}: joining the run node rank 0 starts", err=True)
        return runs.join(recipe, plan, resume)
    if resume:
        run = runs.find_resumable(recipe, positional[0] if positional else None)
        typer.echo(f"resuming run {run.id} ({run.name})", err=True)
    else:
        run = runs.create(recipe, config, parse_overrides(overrides), plan.world_size, name=name)
        typer.echo(f"run {run.id} ({run.name}): {run.run_dir}", err=True)
    code = runs.execute(run, plan, resume)
    final = runs.registry.require_run(run.id)
    typer.echo(f"run {run.id}: {final.status}" + (f" ({final.error})" if final.error else ""), err=True)
    return code


def _plan(options: dict[str, Any]) -> LaunchPlan:
    import os

    from core.errors import UserError
    from core.train.launch import LaunchPlan

    if options["launcher"] not in ("torchrun", "slurm"):
        raise UserError(f"--launcher must be torchrun or slurm, not {options['launcher']!r}")
    plan = LaunchPlan(nproc=options["nproc"] or 1, nnodes=options["nnodes"], node_rank=options["node_rank"],
                      master_addr=options["master_addr"], master_port=options["master_port"],
                      hostfile=options["hostfile"], launcher=options["launcher"])
    plan = plan.with_endpoint(options["rdzv_endpoint"])
    if plan.launcher == "slurm":
        from core.train.slurm import slurm_plan

        plan = slurm_plan(plan, os.environ, nproc_given=options["nproc"] is not None)
    return plan.checked()


def _recipe_command(name: str, recipe: str, task: str | None, doc: str) -> None:
    """Register `sviml run NAME` for one recipe, with every launch option."""

    def command(
        ctx: typer.Context,
        args: list[str] = typer.Argument(None, help=ARGS_HELP, show_default=False),
        config: str = typer.Option("small", "--recipe", "-r", help=CONFIG_HELP.format(recipe=recipe)),
        nproc: int | None = typer.Option(None, "--nproc", help="Processes per node (GPUs, or CPU ranks over gloo); "
                                                              "default 1, or the GPUs SLURM gives each node."),
        nnodes: int = typer.Option(1, "--nnodes", help="Nodes of the run (run the same command on each)."),
        node_rank: int = typer.Option(0, "--node-rank", help="This node's rank; rank 0 creates the run."),
        master_addr: str | None = typer.Option(None, "--master-addr", help="Node rank 0's address (several nodes)."),
        master_port: int | None = typer.Option(None, "--master-port", help="A free port on node rank 0."),
        rdzv_endpoint: str | None = typer.Option(None, "--rdzv-endpoint", help="HOST:PORT, instead of the two above."),
        run_launcher: str = typer.Option("torchrun", "--launcher",
                                         help="torchrun, or slurm: every node of the allocation through srun."),
        hostfile: Path | None = typer.Option(None, "--hostfile", help="DeepSpeed's launcher over a hostfile (pdsh)."),
        resume: bool = typer.Option(False, "--resume", help="Continue the newest unfinished run (or the id given)."),
        run_name: str | None = typer.Option(None, "--name", help="A name for the run."),
    ) -> None:
        plan_options = {"nproc": nproc, "nnodes": nnodes, "node_rank": node_rank, "master_addr": master_addr,
                        "master_port": master_port, "rdzv_endpoint": rdzv_endpoint, "launcher": run_launcher,
                        "hostfile": hostfile}
        code = start_recipe(ctx, recipe, config, args or [], plan_options, resume, run_name)
        if code == 0 and task is not None and node_rank == 0:
            typer.echo(HEAD_HINT.format(task=task), err=True)
        raise typer.Exit(code)

    command.__doc__ = doc
    app.command(name, context_settings={"allow_interspersed_args": True})(command)


_recipe_command("pretrain", "pretrain", None, "Pre-train S-ViLM with a recipe config.")
_recipe_command("finetune-retrieval", "finetune_retrieval", "retrieval_ft",
                "Fine-tune both towers contrastively for text-video retrieval (MSR-VTT 9k train).")
_recipe_command("finetune-qa", "finetune_qa", "qa",
                "Fine-tune a fusion head and the towers for open-ended video QA (MSRVTT-QA, MSVD-QA).")
_recipe_command("finetune-action", "finetune_action", "action_ft",
                "Fine-tune the video tower and a linear classifier for action recognition (UCF101, HMDB51).")
_recipe_command("train-localizer", "train_localizer", "tal",
                "Train a temporal action localizer on frozen sliding-window features (ActivityNet v1.3).")

from sviml_cli.ablation import ablation  # noqa: E402 (kept beside the other `sviml run` commands)

app.command("ablation")(ablation)
