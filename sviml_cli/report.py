"""`sviml report`: comparison tables and plots of results, beside the paper's numbers."""

from __future__ import annotations

import typer

from sviml_cli.stubs import not_implemented

app = typer.Typer(help="Tables and plots of results beside the paper's numbers.")


@app.callback(invoke_without_command=True)
def report(ctx: typer.Context) -> None:
    """Report results (filled by the report part)."""
    if ctx.invoked_subcommand is None:
        not_implemented("report")
