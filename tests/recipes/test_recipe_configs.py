"""Every YAML under recipes/configs loads and validates; bad overrides fail before any work."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.train.launch import recipe_module
from recipes import CONFIG_DIR, RECIPES, config_names, config_path

ALL_CONFIGS = [(recipe, config) for recipe in RECIPES for config in config_names(recipe)]


def test_every_recipe_has_configs():
    assert ALL_CONFIGS and {r for r, _ in ALL_CONFIGS} == set(RECIPES)
    for path in CONFIG_DIR.rglob("*.yaml"):
        assert path.read_text().startswith("#"), f"{path} must open with a comment saying what it is for"


@pytest.mark.parametrize(("recipe", "config"), ALL_CONFIGS)
def test_config_loads_and_round_trips(recipe, config):
    module = recipe_module(recipe)
    cfg = module.load_config(config_path(recipe, config), [])
    tree = module.config_to_dict(cfg)
    again = module.config_to_dict(module.config_from_dict(tree))
    assert again == tree  # the saved config.yaml of a run rebuilds the same run


@pytest.mark.parametrize(
    ("override", "message"),
    [("train.lr=abc", "train.lr: expected a number"), ("model.nope=1", "unknown model config key: nope"),
     ("train.nope=1", "unknown config key"), ("nope.x=1", "unknown config section"),
     ("train.zero_stage=5", "zero_stage"), ("model.video.depth=x", "video.depth")],
)
def test_bad_overrides_fail_with_one_clear_message(override, message):
    module = recipe_module("pretrain")
    with pytest.raises(UserError, match=message):
        module.load_config(config_path("pretrain", "tiny"), [override])
