"""`sviml export`: mirror runs into other tools (MLflow, TensorBoard's results and HParams views)."""

from __future__ import annotations

import typer

from sviml_cli.context import reader, state
from sviml_cli.filters import NAME_FILTER, RECIPE_FILTER, STATUS_FILTER, TAG_FILTER, run_filter

app = typer.Typer(help="Mirror runs into MLflow or TensorBoard.", no_args_is_help=True)


def _selected(ctx: typer.Context, run_ids: list[str] | None, recipe: str | None, status: str | None,
              name: str | None, tags: list[str] | None, last: int | None) -> list[str]:
    """The run ids to export: the ids given, else every run the filters keep (newest first)."""
    query = run_filter(recipe=recipe, status=status, name=name, tags=tags, last=last)
    if run_ids:
        registry = state(ctx).registry
        return [registry.require_run(run_id).id for run_id in dict.fromkeys(run_ids)]
    return [run["id"] for run in reader(ctx).run_records(query)]


LAST = typer.Option(None, "--last", "-n", help="Only the newest N runs (after the filters).")
RUN_IDS = typer.Argument(None, help="Run ids (default: every run the filters keep).")


@app.command("mlflow")
def export_mlflow(
    ctx: typer.Context,
    run_ids: list[str] | None = RUN_IDS,
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", envvar="MLFLOW_TRACKING_URI",
        help="MLflow tracking URI: http(s)://server, sqlite:///file.db, file:///folder (default: "
        "$MLFLOW_TRACKING_URI, else sqlite:///<home>/mlflow.db)."),
    experiment: str = typer.Option("sviml", "--experiment", help="The MLflow experiment to mirror into."),
    recipe: str | None = RECIPE_FILTER,
    status: str | None = STATUS_FILTER,
    name: str | None = NAME_FILTER,
    tags: list[str] | None = TAG_FILTER,
    last: int | None = LAST,
) -> None:
    """One MLflow run per sviml run (a second export updates it): params, metrics with steps, tags, export folder."""
    from core.mirror.mlflow import MlflowMirror

    app_state = state(ctx)
    ids = _selected(ctx, run_ids, recipe, status, name, tags, last)
    uri = tracking_uri or f"sqlite:///{app_state.settings.home / 'mlflow.db'}"
    mirror = MlflowMirror(app_state.registry, uri, experiment)
    from sviml_cli.output import progress_bar

    with progress_bar("export to MLflow", len(ids)) as advance:
        done = mirror.export(ids, advance)
    created = sum(run.created for run in done)
    typer.echo(f"exported {len(done)} run(s) to {uri} (experiment {experiment}): {created} created, "
               f"{len(done) - created} updated")


@app.command("tensorboard")
def export_tensorboard(
    ctx: typer.Context,
    run_ids: list[str] | None = RUN_IDS,
    recipe: str | None = RECIPE_FILTER,
    status: str | None = STATUS_FILTER,
    name: str | None = NAME_FILTER,
    tags: list[str] | None = TAG_FILTER,
    last: int | None = LAST,
) -> None:
    """Rewrite each run's TensorBoard results view (<run>/tb/eval: results, HParams); `sviml eval` does it too."""
    from core.mirror.tensorboard import mirror_runs

    app_state = state(ctx)
    ids = _selected(ctx, run_ids, recipe, status, name, tags, last)
    written = mirror_runs(app_state.registry, ids)
    typer.echo(f"wrote the results view of {len(written)} run(s); see them with "
               f"`tensorboard --logdir {app_state.settings.home}` (HParams tab)")
