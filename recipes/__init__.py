"""Recipes: one runnable training script per file (`python -m recipes.<name> --run-id ID`).

`RECIPES` is the read-only table the CLI lists; each recipe's YAML configs live in
`recipes/configs/<name>/`, and each YAML starts with a comment saying what it is for. A recipe
module provides what the `Recipe` protocol states; `load_recipe` imports one by name.
`recipes.launch` starts them (in process, torchrun, DeepSpeed's launcher).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from core.registry.schema import RunStatus
    from core.settings import Settings
    from core.train.config import RecipeConfig

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
STUDY_DIR = CONFIG_DIR / "ablation"  # ablation study files (core.ablation), not a recipe's configs

# name -> (module, one-line description)
RECIPES = MappingProxyType(
    {
        "pretrain": ("recipes.pretrain", "Pre-train S-ViLM (contrastive + grounding + temporal grouping)"),
        "finetune_retrieval": ("recipes.finetune_retrieval", "Fine-tune both towers for text-video retrieval"),
        "finetune_qa": ("recipes.finetune_qa", "Fine-tune a fusion head and the towers for open-ended video QA"),
        "finetune_action": ("recipes.finetune_action", "Fine-tune the video tower and a classifier for actions"),
        "train_localizer": ("recipes.train_localizer", "Train a temporal action localizer on frozen features"),
    }
)


class Recipe(Protocol):
    """What a recipe module provides (module-level names). What the launcher asks of a config before
    a run is registered (readiness, tags, parent run) are the config's methods (`RecipeConfig`)."""

    NAME: str  # the key in RECIPES
    Config: type[RecipeConfig]  # its typed config; the YAML files under configs/<NAME>/ validate as it

    def train(self, run_id: str, settings: Settings, resume: bool = False, show_progress: bool = True) -> RunStatus:
        """Train run `run_id` on this rank; returns its final status."""


def load_recipe(name: str) -> Recipe:
    """The recipe module called `name` (a `UserError` for an unknown name)."""
    from core.errors import UserError

    if name not in RECIPES:
        raise UserError(f"unknown recipe {name!r}; recipes: {', '.join(RECIPES)}")
    return cast(Recipe, importlib.import_module(RECIPES[name][0]))


def config_names(recipe: str) -> list[str]:
    """The configs of `recipe`: the YAML file names without extension."""
    return sorted(p.stem for p in (CONFIG_DIR / recipe).glob("*.yaml"))


def config_path(recipe: str, config: str) -> Path:
    """A named config of `recipe` (`small`) or a path to any YAML file."""
    from core.errors import UserError

    if recipe not in RECIPES:
        raise UserError(f"unknown recipe {recipe!r}; recipes: {', '.join(RECIPES)}")
    candidate = Path(config)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise UserError(f"config file not found: {candidate}")
        return candidate
    path = CONFIG_DIR / recipe / f"{config}.yaml"
    if not path.is_file():
        raise UserError(f"recipe {recipe} has no config {config!r}; configs: {', '.join(config_names(recipe))}")
    return path


def load_recipe_config(recipe: str, config: str, overrides: Mapping[str, Any] | list[str] = ()) -> RecipeConfig:
    """A recipe's named config (or YAML path) with dotted overrides, validated as the recipe's `Config`."""
    from core.config import load_config

    return load_config(load_recipe(recipe).Config, config_path(recipe, config), overrides)


def config_summary(path: Path) -> str:
    """The first comment line of a YAML config: what it is for."""
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""
