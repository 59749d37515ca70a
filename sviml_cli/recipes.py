"""`sviml recipes`: list, show and validate recipes and their configs."""

from __future__ import annotations

import typer

from sviml_cli.context import state
from sviml_cli.output import JSON_OUTPUT, print_json, print_table

app = typer.Typer(help="List, show and validate recipes and configs.", no_args_is_help=True)


@app.command("ls")
def list_recipes(as_json: bool = JSON_OUTPUT) -> None:
    """Every recipe with its configs and what each is for."""
    from recipes import RECIPES, config_names, config_path, config_summary

    rows = [
        {"recipe": recipe, "config": config, "description": config_summary(config_path(recipe, config)),
         "recipe_description": description}
        for recipe, (_module, description) in RECIPES.items()
        for config in config_names(recipe)
    ]
    if as_json:
        print_json(rows)
        return
    print_table("recipes", ["recipe", "config", "what it is for"],
                [(r["recipe"], r["config"], r["description"]) for r in rows], empty="No recipes.")


@app.command("show")
def show_recipe(
    recipe: str = typer.Argument(..., help="Recipe name, e.g. pretrain."),
    config: str = typer.Argument(..., help="Config name (e.g. small) or a YAML path."),
    overrides: list[str] = typer.Argument(None, help="Overrides section.key=value."),
    as_json: bool = JSON_OUTPUT,
) -> None:
    """The fully resolved config (preset expanded, overrides applied)."""
    import yaml

    from recipes import load_recipe_config

    tree = load_recipe_config(recipe, config, overrides or []).to_dict()
    if as_json:
        print_json(tree)
    else:
        typer.echo(yaml.safe_dump(tree, sort_keys=False).rstrip())


@app.command("validate")
def validate_recipe(
    ctx: typer.Context,
    recipe: str = typer.Argument(..., help="Recipe name, e.g. pretrain."),
    config: str = typer.Argument(..., help="Config name (e.g. small) or a YAML path."),
    overrides: list[str] = typer.Argument(None, help="Overrides section.key=value."),
    nproc: int = typer.Option(1, "--nproc", help="Check the batch layout for this many processes."),
    check_data: bool = typer.Option(False, "--data", help="Also check its datasets are registered."),
) -> None:
    """Check a config (and overrides) the way `sviml run` does, without running anything."""
    from recipes import load_recipe_config

    cfg = load_recipe_config(recipe, config, overrides or [])
    micro, accumulation = cfg.train.batch_layout(nproc)
    if check_data:
        cfg.check_ready(state(ctx).registry)
    typer.echo(f"{recipe}/{config}: valid (micro batch {micro} x {nproc} processes x accumulation {accumulation})")
