"""Recipes: one runnable training script per file (`python -m recipes.<name> --run-id ID`).

`RECIPES` is the read-only table the CLI lists; each recipe's YAML configs live in
`recipes/configs/<name>/`, and each YAML starts with a comment saying what it is for.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

CONFIG_DIR = Path(__file__).resolve().parent / "configs"

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


def config_summary(path: Path) -> str:
    """The first comment line of a YAML config: what it is for."""
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""
