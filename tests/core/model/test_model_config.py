"""Model configs: dict/JSON round trip, validation, presets and overrides."""

from __future__ import annotations

import json

import pytest

from core.errors import UserError
from core.model import PRESETS, ModelConfig, build_config, create_model
from core.model.config import VideoConfig


def test_round_trip_through_json() -> None:
    cfg = build_config("small")
    again = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert ModelConfig.from_json(cfg.to_json()) == cfg
    assert isinstance(again.video.grouping_after, tuple)


def test_partial_dict_keeps_defaults() -> None:
    cfg = ModelConfig.from_dict({"video": {"depth": 6, "grouping_after": [3, 6]}})
    assert cfg.video.depth == 6 and cfg.video.grouping_after == (3, 6)
    assert cfg.video.width == VideoConfig().width


@pytest.mark.parametrize(
    "data",
    [{"video": {"depht": 3}}, {"nope": 1}, {"video": {"depth": "four"}}, {"text": {"pooling": 3}}],
)
def test_bad_dicts_raise_user_error(data: dict) -> None:
    with pytest.raises(UserError):
        ModelConfig.from_dict(data)


def test_overrides_dotted_and_nested() -> None:
    a = build_config("tiny", **{"video.depth": 3, "video.grouping_after": [3]})
    b = build_config("tiny", video={"depth": 3, "grouping_after": [3]})
    assert a == b and a.video.depth == 3
    assert build_config("tiny", embed_dim=16).embed_dim == 16


@pytest.mark.parametrize(
    "overrides",
    [{"video.dpeth": 3}, {"video": {"nope": 1}}, {"text.width.x": 1}, {"video.grouping_after": [9]}],
)
def test_bad_overrides_raise_user_error(overrides: dict) -> None:
    with pytest.raises(UserError):
        build_config("tiny", **overrides)


def test_unknown_preset_raises_user_error() -> None:
    with pytest.raises(UserError):
        create_model("huge")


def test_presets_are_read_only() -> None:
    with pytest.raises(TypeError):
        PRESETS["tiny"]["video"]["depth"] = 7  # type: ignore[index]
    cfg = build_config("tiny")
    cfg.video.depth = 7  # a built config is the caller's own copy
    assert build_config("tiny").video.depth == 2
