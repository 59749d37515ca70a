"""`sviml gc`: list (and with --apply remove) what nothing needs any more, with sizes."""

from __future__ import annotations

import typer

from sviml_cli.context import state
from sviml_cli.output import JSON_OUTPUT, print_json

app = typer.Typer(
    help="Collect garbage: checkpoints beyond keep_last, superseded head runs, unreachable feature caches, "
    "run folders without a row and rows without a folder, interrupted deletions. A dry run unless --apply.",
    short_help="List (and with --apply remove) what nothing needs any more.",
    subcommand_metavar="",
)


@app.callback(invoke_without_command=True)
def gc(
    ctx: typer.Context,
    apply: bool = typer.Option(False, "--apply", help="Remove what is listed (each deletion is logged)."),
    keep_last: int | None = typer.Option(None, "--keep-last", min=0,
                                         help="Keep only the newest N resumable checkpoints of every run "
                                         "(default: each run's train.keep_last; unfinished runs keep 1)."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """List what can be collected; remove it with --apply."""
    if ctx.invoked_subcommand is not None:
        return
    from core.housekeeping.gc import apply_gc, plan_gc

    app_state = state(ctx)
    plan = plan_gc(app_state.registry, app_state.settings, keep_last=keep_last)
    freed = apply_gc(app_state.registry, app_state.settings, plan.items) if apply else 0
    if as_json:
        print_json([{"kind": item.kind, "run_id": item.run_id, "what": item.what,
                     "path": str(item.path) if item.path else None, "bytes": item.bytes} for item in plan.items])
        return
    from sviml_cli.housekeeping_view import print_gc_plan

    print_gc_plan(plan, applied=apply)
    if apply:
        from core.housekeeping.disk import human_bytes

        typer.echo(f"freed {human_bytes(freed)}; see {app_state.settings.deletion_log}")
