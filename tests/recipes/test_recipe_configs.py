"""Every YAML under recipes/configs loads and validates; bad overrides fail before any work."""

from __future__ import annotations

import re

import pytest

from core.config import validate_config
from core.errors import UserError
from recipes import CONFIG_DIR, RECIPES, STUDY_DIR, config_names, load_recipe, load_recipe_config

ALL_CONFIGS = [(recipe, config) for recipe in RECIPES for config in config_names(recipe)]


def test_every_recipe_has_configs():
    assert ALL_CONFIGS and {r for r, _ in ALL_CONFIGS} == set(RECIPES)
    for path in CONFIG_DIR.rglob("*.yaml"):
        assert path.read_text().startswith("#"), f"{path} must open with a comment saying what it is for"
    assert STUDY_DIR.is_dir() and STUDY_DIR.name not in RECIPES


@pytest.mark.parametrize(("recipe", "config"), ALL_CONFIGS)
def test_config_loads_and_round_trips(recipe, config):
    module = load_recipe(recipe)
    assert module.NAME == recipe
    cfg = load_recipe_config(recipe, config)
    assert isinstance(cfg, module.Config)
    tree = cfg.to_dict()
    again = validate_config(module.Config, tree)
    assert again == cfg and again.to_dict() == tree  # the saved config.yaml of a run rebuilds the same run


@pytest.mark.parametrize(
    ("override", "message"),
    [("train.lr=abc", "train.lr: expected a number, got 'abc'"), ("model.nope=1", "unknown config key: model.nope"),
     ("train.nope=1", "unknown config key: train.nope"), ("nope.x=1", "unknown config section 'nope'"),
     ("train.zero_stage=5", "train.zero_stage: input should be 0, 1, 2 or 3, got 5"),
     ("model.video.depth=x", "model.video.depth: expected an integer, got 'x'"),
     ("train.warmup_steps=5000", "train.warmup_steps must be within"),
     ("model.preset=huge", "unknown model preset 'huge'"), ("model.text.pooling=max", "model.text.pooling"),
     ("data.datasets=[]", "data.datasets"), ("data.noun_prompt=nothing", "must contain {noun}"),
     ("train.compile=maybe", "train.compile: expected true/false, got 'maybe'")],
)
def test_bad_overrides_fail_with_one_clear_message(override, message):
    with pytest.raises(UserError, match=re.escape(message)) as caught:
        load_recipe_config("pretrain", "tiny", [override])
    assert "\n" not in str(caught.value)


def test_head_recipes_need_their_starting_weights_and_refuse_compile():
    with pytest.raises(UserError, match="init.run or init.checkpoint is required"):
        load_recipe_config("finetune_qa", "tiny", {"init.run": None})
    with pytest.raises(UserError, match="train.compile is a pre-training switch"):
        load_recipe_config("train_localizer", "tiny", ["train.compile=true"])
    assert load_recipe_config("pretrain", "tiny", ["train.compile=true"]).train.compile is True


def test_model_overrides_land_on_the_preset():
    cfg = load_recipe_config("pretrain", "tiny", ["model.video.depth=3", "model.video.grouping_after=[3]"])
    assert cfg.model.preset == "tiny" and cfg.model.video.depth == 3 and cfg.model.video.grouping_after == (3,)
    assert cfg.model.video.width == 64  # the rest of the tiny preset stays
