"""Which config keys differ between the runs of a report, as flattened dotted keys (`train.lr`).

Only differing keys are worth a reader's attention: a sweep over `train.lr` shows `train.lr`,
not the hundred keys the runs share. A key that some runs lack counts as differing (shown blank
where absent). Lists compare as whole values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Free text that every config carries: the recipe/config column already names the config.
IGNORED_PREFIXES = ("description",)


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"train": {"lr": 1e-3}}` -> `{"train.lr": 1e-3}`; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_config(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def show_value(value: Any) -> str:
    """A config value as a short string: floats in their shortest form, lists as compact JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def differing_keys(configs: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """(sorted keys whose values are not all equal, the flattened configs); one config differs in nothing."""
    flat = [flatten_config(config or {}) for config in configs]
    if len(flat) < 2:
        return [], flat
    all_keys = set().union(*flat)
    missing = object()
    keys = []
    for key in all_keys:
        if key.split(".", 1)[0] in IGNORED_PREFIXES:
            continue
        first = flat[0].get(key, missing)
        if any(config.get(key, missing) != first for config in flat[1:]):
            keys.append(key)
    return sorted(keys), flat
