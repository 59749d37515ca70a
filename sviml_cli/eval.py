"""`sviml eval`: run the benchmarks on a checkpoint, or score your own prediction files."""

from __future__ import annotations

import typer

from sviml_cli.stubs import not_implemented

app = typer.Typer(help="Evaluate checkpoints on the four benchmarks; score prediction files.")


@app.callback(invoke_without_command=True)
def evaluate(ctx: typer.Context) -> None:
    """Evaluate a checkpoint (filled by the evaluation part)."""
    if ctx.invoked_subcommand is None:
        not_implemented("eval")
