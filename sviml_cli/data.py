"""`sviml data`: register, inspect, verify and forget datasets (never touches a user's files)."""

from __future__ import annotations

import typer

from sviml_cli.context import state
from sviml_cli.output import format_time, print_json, print_table
from sviml_cli.stubs import not_implemented

app = typer.Typer(help="Register, inspect, verify and forget datasets.", no_args_is_help=True)


def _dataset_record(dataset) -> dict:  # noqa: ANN001 (core.registry.Dataset)
    return dataset.model_dump()


@app.command("ls")
def list_datasets(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts.")
) -> None:
    """List registered datasets."""
    datasets = state(ctx).registry.list_datasets()
    if as_json:
        print_json([_dataset_record(d) for d in datasets])
        return
    print_table(
        "datasets",
        ["name", "kind", "status", "counts", "root", "verified"],
        [
            (
                d.name, d.kind, d.status, " ".join(f"{k}={v}" for k, v in d.counts.items()), d.root,
                format_time(d.verified_at),
            )
            for d in datasets
        ],
        empty="No datasets yet: `sviml data add synth` generates the synthetic suite.",
    )


@app.command("show")
def show_dataset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The dataset's registry name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """One dataset: counts per split, annotation hashes, coverage and problems."""
    dataset = state(ctx).registry.require_dataset(name)
    if as_json:
        print_json(_dataset_record(dataset))
        return
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{dataset.name}[/bold] ({dataset.kind})  {dataset.status}  root {dataset.root}")
    print_table("counts", ["split", "n"], dataset.counts.items(), empty="No counts recorded.")
    print_table("annotation files", ["file", "sha256"], dataset.hashes.items(), empty="No annotation files.")
    print_table("problems", ["problem"], [(p,) for p in dataset.problems], empty="No problems.")


@app.command("add", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def add_dataset(ctx: typer.Context, kind: str = typer.Argument(..., help="Dataset kind.")) -> None:
    """Register a dataset after checking it (filled by the data pipeline)."""
    not_implemented("data add")


@app.command("verify")
def verify_dataset(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Re-check a registered dataset (filled by the data pipeline)."""
    not_implemented("data verify")


@app.command("rm")
def remove_dataset(ctx: typer.Context, name: str = typer.Argument(..., help="The dataset's registry name.")) -> None:
    """Forget a dataset: removes the registry entry only, never the files."""
    registry = state(ctx).registry
    registry.require_dataset(name)
    registry.remove_dataset(name)
    typer.echo(f"removed {name} from the registry (its files are untouched)")
