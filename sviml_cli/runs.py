"""`sviml runs`: list and inspect training runs (status, progress, last losses, checkpoints)."""

from __future__ import annotations

import typer

from sviml_cli.context import reader, state
from sviml_cli.output import JSON_OUTPUT, format_time, print_json, print_table

app = typer.Typer(help="List and inspect runs: status, progress, last losses, checkpoints.", no_args_is_help=True)


def _short_metrics(metrics: dict, limit: int = 4) -> str:
    items = [(k, v) for k, v in metrics.items() if isinstance(v, int | float)][:limit]
    return " ".join(f"{k}={v:.4g}" for k, v in items)


@app.command("ls")
def list_runs(
    ctx: typer.Context,
    recipe: str | None = typer.Option(None, help="Only runs of this recipe."),
    status: str | None = typer.Option(None, help="Only runs with this status."),
    last: int | None = typer.Option(None, "--last", "-n", help="Only the newest N runs."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """List runs, newest first; a running run whose process died shows as `stale`."""
    from core.registry.schema import RunFilter, shown_status

    runs = reader(ctx).run_records(RunFilter(recipe=recipe, status=status, limit=last))
    for run in runs:
        run["status"] = shown_status(run)
    if as_json:
        print_json(runs)
        return
    print_table(
        "runs",
        ["id", "name", "recipe", "status", "step", "last metrics", "created"],
        [
            (
                run["id"], run["name"], f"{run['recipe']}/{run['config_name']}", run["status"],
                f"{run['step']}/{run['max_steps']}" if run["max_steps"] else run["step"],
                _short_metrics(run["last_metrics"] or {}), format_time(run["created"]),
            )
            for run in runs
        ],
        empty="No runs yet: start one with `sviml run pretrain --recipe small`.",
    )


@app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id (see `sviml runs ls`)."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """One run: its config, status, progress, last metrics, checkpoints and results."""
    from core.registry.schema import shown_status

    registry = state(ctx).registry
    run = registry.require_run(run_id)
    checkpoints = registry.list_checkpoints(run.id)
    results = registry.query_results(run_ids=[run.id])
    record = run.model_dump()
    record["shown_status"] = shown_status(record)
    record["checkpoints"] = [c.model_dump() for c in checkpoints]
    record["results"] = results
    if as_json:
        print_json(record)
        return
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{run.name}[/bold] ({run.id})  {run.recipe}/{run.config_name}  {record['shown_status']}")
    console.print(
        f"step {run.step}/{run.max_steps or '?'}  seed {run.seed}  world size {run.world_size}  host {run.host}  "
        f"git {run.git_sha or '?'}{' (dirty)' if run.git_dirty else ''}"
    )
    console.print(f"started {format_time(run.started)}  ended {format_time(run.ended)}  folder {run.run_dir}")
    if run.error:
        console.print(f"[red]error:[/red] {run.error}")
    if run.last_metrics:
        console.print("last metrics: " + _short_metrics(run.last_metrics, limit=20))
    print_table(
        "checkpoints",
        ["tag", "step", "kind", "complete", "MB", "path"],
        [(c.tag, c.step, c.kind, c.complete, f"{c.bytes / 1e6:.1f}", c.path) for c in checkpoints],
        empty="No checkpoints.",
    )
    print_table(
        "results",
        ["task", "dataset", "split", "metric", "value"],
        [(r["task"], r["dataset"], r["split"], r["metric"], f"{r['value']:.2f}") for r in results],
        empty="No results.",
    )
