"""Recipe configs: YAML files + `a.b=value` overrides -> typed, validated pydantic models.

Every config section is a `ConfigModel`: strict types (an integer field refuses `"3"` and `3.5`, a
boolean refuses `"yes"`), no unknown keys, range checks as field constraints and cross-field
checks as validators. `validate_config` turns pydantic's `ValidationError` into one `UserError`
line that names the key (`train.lr: expected a number, got 'abc'`), which the CLI prints with exit
code 2, before any heavy work.

Dotted overrides are applied once, by `apply_overrides`, to the YAML tree, whatever section they
touch (the model section included: `model.video.depth=6` lands on the preset's tree before
validation, see `core.model.config.ModelSection`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from core.errors import UserError

C = TypeVar("C", bound="ConfigModel")


def _list_to_tuple(value: Any) -> Any:
    # YAML and JSON have lists, not tuples: accept a list where a tuple is declared.
    return tuple(value) if isinstance(value, list) else value


IntTuple = Annotated[tuple[int, ...], BeforeValidator(_list_to_tuple)]
StrTuple = Annotated[tuple[str, ...], BeforeValidator(_list_to_tuple)]
FloatPair = Annotated[tuple[float, float], BeforeValidator(_list_to_tuple)]
FloatTriple = Annotated[tuple[float, float, float], BeforeValidator(_list_to_tuple)]


class ConfigModel(BaseModel):
    """A config section: strict types, unknown keys refused, plain JSON in and out."""

    model_config = ConfigDict(strict=True, extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready nested dict (tuples become lists): what `config.yaml` and exports hold."""
        return self.model_dump(mode="json")


# -- errors ------------------------------------------------------------------------------------

_MESSAGES = {
    "int_type": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true/false",
    "string_type": "expected a string",
    "tuple_type": "expected a list",
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
}


def describe_validation_error(err: ValidationError, where: str = "") -> str:
    """The first problem of `err` as one line naming the dotted key."""
    first = err.errors(include_url=False)[0]
    parts = [str(p) for p in first["loc"] if not isinstance(p, int)]
    key = ".".join(([where] if where else []) + parts)
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"unknown config key: {key}"
    if kind == "value_error":  # a validator's message names its keys itself (`train.warmup_steps must ...`)
        return str(first.get("ctx", {}).get("error", first["msg"]))
    if kind == "missing":
        return f"{key} is required"
    message = _MESSAGES.get(kind, first["msg"][:1].lower() + first["msg"][1:])
    given = first.get("input")
    suffix = "" if isinstance(given, (Mapping, BaseModel)) else f", got {given!r}"
    return f"{key}: {message}{suffix}" if key else message + suffix


def validate_config(cls: type[C], tree: Any, where: str = "") -> C:
    """`tree` (a mapping from YAML or JSON) as a validated `cls`; a `UserError` naming the key otherwise."""
    if not isinstance(tree, Mapping):
        raise UserError(f"{where or cls.__name__}: expected a mapping, got {type(tree).__name__}")
    try:
        return cls.model_validate(dict(tree))
    except ValidationError as err:
        raise UserError(describe_validation_error(err, where)) from err


# -- YAML and overrides --------------------------------------------------------------------------


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


def apply_overrides(tree: Mapping[str, Any], overrides: Mapping[str, Any],
                    sections: Iterable[str] | None = None) -> dict[str, Any]:
    """A copy of `tree` with dotted overrides set (`{"a.b": 1}` sets `tree["a"]["b"]`).

    A mapping value merges into an existing mapping key by key. With `sections`, the first part
    of every key must be one of them. Unknown keys below that are left for validation to refuse.
    """
    tree = copy.deepcopy(dict(tree))
    known = set(sections) if sections is not None else None
    for key, value in overrides.items():
        parts = key.split(".")
        if known is not None and parts[0] not in known:
            raise UserError(f"unknown config section {parts[0]!r} in override {key}; sections: {', '.join(sorted(known))}")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise UserError(f"override {key}: {part} is not a section")
            node = child
        _merge(node, parts[-1], value)
    return tree


def _merge(node: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, Mapping) and isinstance(node.get(key), dict):
        for sub_key, sub_value in value.items():
            _merge(node[key], sub_key, sub_value)
    else:
        node[key] = copy.deepcopy(dict(value)) if isinstance(value, Mapping) else value


def load_config(cls: type[C], path: Path, overrides: Mapping[str, Any] | Iterable[str] = ()) -> C:
    """YAML file + overrides -> validated `cls` (what `sviml run` and `sviml recipes validate` run)."""
    if not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    return validate_config(cls, apply_overrides(load_yaml(path), overrides, cls.model_fields))
