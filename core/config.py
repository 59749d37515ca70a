"""Recipe configs: YAML files + `a.b=value` overrides -> typed, validated dataclasses.

A recipe config has sections. `model` is special: `preset` names a model preset and every other
key overrides that preset's fields (`model.video.depth=6`); it is resolved into the full model
config, so the saved `config.yaml` of a run describes the model completely. All other sections
are dataclasses checked key by key: an unknown key or a value of the wrong type fails here,
before any heavy work, with one line that names the key.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from core.errors import UserError


def parse_override_value(text: str) -> Any:
    """`"3"` -> 3, `"1e-4"` -> 1e-4, `"true"` -> True, `"[1, 2]"` -> [1, 2], `"abc"` -> "abc".

    YAML parsing, plus plain float syntax that YAML 1.1 leaves as a string (`1e-4`).
    """
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") or value.lower() in ("inf", "nan") else int(value)
        except ValueError:
            return value
    return value


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """`["train.lr=1e-4", "model.video.depth=6"]` -> `{"train.lr": 1e-4, "model.video.depth": 6}`."""
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise UserError(f"bad override {item!r}: expected section.key=value, e.g. train.lr=1e-4")
        parsed[key] = parse_override_value(value)
    return parsed


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from `path`; a missing, unreadable or non-mapping file is a user error."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as err:
        raise UserError(f"config file not found: {path}") from err
    except (OSError, yaml.YAMLError) as err:
        raise UserError(f"cannot read config {path}: {' '.join(str(err).split())}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"config {path} must be a mapping of sections, got {type(data).__name__}")
    return data


def apply_overrides(tree: dict[str, Any], overrides: dict[str, Any], sections: Iterable[str]) -> dict[str, Any]:
    """A copy of `tree` with dotted overrides set; the first part must be a known section."""
    tree = copy.deepcopy(tree)
    known = set(sections)
    for key, value in overrides.items():
        parts = key.split(".")
        if parts[0] not in known:
            raise UserError(f"unknown config section {parts[0]!r} in override {key}; sections: {', '.join(sorted(known))}")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise UserError(f"override {key}: {part} is not a section")
            node = child
        node[parts[-1]] = value
    return tree


def resolve_model_section(section: dict[str, Any]) -> dict[str, Any]:
    """`{"preset": "small", "video": {"depth": 6}}` -> the preset plus every field, validated."""
    from core.model.factory import build_config

    section = dict(section or {})
    preset = section.pop("preset", None)
    if not isinstance(preset, str):
        raise UserError("model.preset is required (e.g. tiny, small, base)")
    flat = _flatten(section)
    # Overrides come from users: reuse the factory's strict key/type checks with a model. prefix.
    try:
        cfg = build_config(preset, **flat)
    except UserError as err:
        raise UserError(f"model config: {err}") from err
    return {"preset": preset, **cfg.to_dict()}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat
