"""TrainConfig: batch layout, precision and the DeepSpeed JSON derived from one place."""

from __future__ import annotations

import re

import pytest

from core.config import apply_overrides, parse_override_value, parse_overrides, validate_config
from core.errors import UserError
from core.train.config import HeadTrainConfig, TrainConfig, deepspeed_config


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("1e-4", 1e-4), ("1.0e-3", 1e-3), ("true", True), ("[6, 9]", [6, 9]), ("abc", "abc"), ("", "")],
)
def test_override_values_parse_like_yaml_plus_floats(text, value):
    assert parse_override_value(text) == value


def test_bad_override_syntax():
    assert parse_overrides(["train.lr=1e-4", "model.video.depth=6"]) == {"train.lr": 1e-4, "model.video.depth": 6}
    for bad in ("train.lr", "=3", "train..lr=1"):
        with pytest.raises(UserError, match="bad override"):
            parse_overrides([bad])


def test_overrides_are_applied_once_by_one_function():
    tree = {"train": {"lr": 1.0}, "model": {"preset": "tiny", "video": {"depth": 2, "width": 64}}}
    merged = apply_overrides(tree, {"train.lr": 2.0, "model.video": {"depth": 3}, "model.text.width": 8},
                             ["train", "model"])
    assert merged == {"train": {"lr": 2.0}, "model": {"preset": "tiny", "video": {"depth": 3, "width": 64},
                                                      "text": {"width": 8}}}
    assert tree["model"]["video"]["depth"] == 2  # the input is left alone
    with pytest.raises(UserError, match="unknown config section 'nope'"):
        apply_overrides(tree, {"nope.x": 1}, ["train", "model"])
    with pytest.raises(UserError, match="lr is not a section"):
        apply_overrides(tree, {"train.lr.x": 1}, ["train"])


def test_batch_layout_derives_micro_batch_and_accumulation():
    assert TrainConfig(batch_size=32).batch_layout(1) == (32, 1)
    assert TrainConfig(batch_size=32).batch_layout(2) == (16, 1)
    assert TrainConfig(batch_size=32, micro_batch_size=4).batch_layout(2) == (4, 4)
    with pytest.raises(UserError, match="not a multiple"):
        TrainConfig(batch_size=30, micro_batch_size=4).batch_layout(2)


def test_deepspeed_json_sets_each_value_once():
    train = TrainConfig(batch_size=64, micro_batch_size=8, zero_stage=2, lr=2e-4, max_steps=100, warmup_steps=10)
    cpu = deepspeed_config(train, world_size=2, device_type="cpu")
    assert (cpu["train_batch_size"], cpu["train_micro_batch_size_per_gpu"], cpu["gradient_accumulation_steps"]) == (
        64, 8, 4)
    assert cpu["zero_optimization"] == {"stage": 2}
    assert cpu["bf16"] == {"enabled": False}  # fp32 on CPU
    assert cpu["optimizer"]["params"]["lr"] == 2e-4 and cpu["optimizer"]["params"]["torch_adam"] is True
    assert cpu["scheduler"]["params"]["total_num_steps"] == 100
    assert cpu["scheduler"]["params"]["warmup_num_steps"] == 10
    assert deepspeed_config(train, 2, "cuda")["bf16"] == {"enabled": True}  # bf16 on GPU


@pytest.mark.parametrize(
    ("field", "message"),
    [({"zero_stage": 4}, "train.zero_stage: input should be 0, 1, 2 or 3, got 4"),
     ({"precision": "fp16"}, "train.precision"), ({"lr": 0.0}, "train.lr: input should be greater than 0"),
     ({"warmup_steps": 2000, "max_steps": 10}, "train.warmup_steps must be within"),
     ({"batch_size": "32"}, "train.batch_size: expected an integer, got '32'"),
     ({"betas": [0.9]}, "train.betas"), ({"keep_last": 0}, "train.keep_last")],
)
def test_invalid_values_are_user_errors_naming_the_key(field, message):
    with pytest.raises(UserError, match=re.escape(message)):
        validate_config(TrainConfig, field, "train")


def test_lists_become_tuples_and_integers_floats():
    cfg = validate_config(TrainConfig, {"betas": [0.8, 0.9], "lr": 1})
    assert cfg.betas == (0.8, 0.9) and isinstance(cfg.lr, float)


def test_compile_is_refused_where_it_cannot_work():
    validate_config(TrainConfig, {"compile": True, "zero_stage": 2})
    with pytest.raises(UserError, match="pre-training switch"):
        validate_config(HeadTrainConfig, {"compile": True})
    validate_config(HeadTrainConfig, {"compile": False})
    with pytest.raises(UserError, match="zero_stage=3"):
        validate_config(TrainConfig, {"compile": True, "zero_stage": 3})
