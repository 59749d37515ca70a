"""`sviml recipes`: list, show and validate recipes and their configs."""

from __future__ import annotations

import typer

from sviml_cli.stubs import not_implemented

app = typer.Typer(help="List, show and validate recipes and configs.", no_args_is_help=True)


@app.command("ls")
def list_recipes() -> None:
    """List recipes and their configs (filled by the training part)."""
    not_implemented("recipes ls")
