"""`sviml run`: start training runs (pre-training, task heads) under DeepSpeed."""

from __future__ import annotations

import typer

from sviml_cli.stubs import not_implemented

app = typer.Typer(help="Start training runs under DeepSpeed ZeRO.", no_args_is_help=True)


@app.command("pretrain", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def pretrain(ctx: typer.Context) -> None:
    """Pre-train S-ViLM with a recipe (filled by the training part)."""
    not_implemented("run pretrain")
