"""`sviml runs`: list, inspect, tag, annotate, compare and delete training runs."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from sviml_cli.context import reader, state
from sviml_cli.filters import NAME_FILTER, RECIPE_FILTER, STATUS_FILTER, TAG_FILTER, run_filter
from sviml_cli.output import JSON_OUTPUT, format_time, print_json, print_table

app = typer.Typer(help="List, inspect, tag, annotate, compare and delete runs.", no_args_is_help=True)


def _short_metrics(metrics: dict, limit: int = 4) -> str:
    items = [(k, v) for k, v in metrics.items() if isinstance(v, int | float)][:limit]
    return " ".join(f"{k}={v:.4g}" for k, v in items)


@app.command("ls")
def list_runs(
    ctx: typer.Context,
    recipe: str | None = RECIPE_FILTER,
    status: str | None = STATUS_FILTER,
    name: str | None = NAME_FILTER,
    tags: list[str] | None = TAG_FILTER,
    last: int | None = typer.Option(None, "--last", "-n", help="Only the newest N runs (after the filters)."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """List runs, newest first; a running run whose process died shows as `stale`."""
    from core.registry.schema import shown_status

    query = run_filter(recipe=recipe, status=status, name=name, tags=tags, last=last)
    runs = reader(ctx).run_records(query)
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
    record["notes"] = [note.model_dump() for note in registry.notes([run.id]).get(run.id, [])]
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
    if run.tags:
        console.print("tags: " + " ".join(f"{key}={value}" for key, value in run.tags.items()))
    for note in record["notes"]:
        console.print(f"note {format_time(note['created'])}: {note['text']}", markup=False)
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


@app.command("tag")
def tag_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    tags: list[str] = typer.Argument(None, metavar="[KEY=VALUE]...", help="Tags to add or change."),
    remove: list[str] | None = typer.Option(None, "--remove", metavar="KEY", help="Remove this tag (repeat)."),
) -> None:
    """Add, change (KEY=VALUE) or remove (--remove KEY) a run's tags; `runs ls --tag KEY=VALUE` finds them."""
    from core.errors import UserError
    from core.registry.tags import parse_tags

    updates = dict(parse_tags(tags or []))
    if not updates and not remove:
        raise UserError("give tags as KEY=VALUE and/or --remove KEY")
    new = state(ctx).registry.set_tags(run_id, updates, remove or [])
    typer.echo(f"run {run_id}: " + (" ".join(f"{key}={value}" for key, value in new.items()) or "no tags"))


@app.command("note")
def note_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id."),
    text: list[str] = typer.Argument(..., help="The note (the words are joined with spaces)."),
) -> None:
    """Append a timestamped note to a run (shown by `runs show`, exported to MLflow)."""
    note = state(ctx).registry.add_note(run_id, " ".join(text))
    typer.echo(f"run {run_id}: note added {format_time(note.created)}")


@app.command("compare")
def compare(
    ctx: typer.Context,
    run_ids: list[str] = typer.Argument(..., help="Two or more run ids; deltas are against the first."),
    plots: Path | None = typer.Option(None, "--plots", help="Write losses.png with the curves overlaid here."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """Config keys that differ, results side by side with deltas, training loss curves overlaid."""
    from core.report.compare import compare_runs

    comparison = compare_runs(reader(ctx), run_ids)
    if as_json:
        print_json({"runs": [run["id"] for run in comparison.runs], "config": dict(comparison.config),
                    "results": dict(comparison.results),
                    "curves": {tag: [None if c is None else {"steps": c[0], "values": c[1]} for c in per_run]
                               for tag, per_run in comparison.curves.items()}})
    else:
        from sviml_cli.compare_view import print_comparison

        print_comparison(comparison)
    if plots is not None:
        from core.report.plots import PlotRun, plot_loss_curves

        written = plot_loss_curves([PlotRun(id=run["id"], label=run["name"] or run["id"],
                                            run_dir=Path(run["run_dir"]) if run.get("run_dir") else None)
                                    for run in comparison.runs], plots)
        sys.stderr.write(f"sviml: wrote {written[0]}\n" if written else "sviml: no loss curves to plot\n")


@app.command("rm")
def remove_runs(
    ctx: typer.Context,
    run_ids: list[str] = typer.Argument(..., help="The runs to delete."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Also delete the runs built on them (task heads)."),
    keep_export: bool = typer.Option(False, "--keep-export", help="Keep the exported weights: moved to <home>/exports/<id>."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting."),
) -> None:
    """Delete runs: their folders (checkpoints, logs, exports), feature caches and rows; shows what goes first."""
    from core.errors import UserError
    from core.housekeeping.disk import human_bytes
    from core.housekeeping.removal import execute_removal, plan_removal

    app_state = state(ctx)
    plan = plan_removal(app_state.registry, app_state.settings, run_ids, recursive=recursive, keep_export=keep_export)
    from sviml_cli.housekeeping_view import print_removal_plan

    print_removal_plan(plan)
    if not yes:
        if not sys.stdin.isatty():
            raise UserError("nothing deleted: pass --yes to delete without a question")
        typer.confirm(f"Delete {len(plan.removals)} run(s), {human_bytes(plan.bytes)}?", abort=True)
    freed = execute_removal(app_state.registry, app_state.settings, plan)
    typer.echo(f"deleted {len(plan.removals)} run(s), {human_bytes(freed)} freed")
