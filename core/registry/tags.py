"""Run tags: `KEY=VALUE` as users type them, and what `--tag KEY=VALUE` matches.

A run's tags are one JSON object (`Run.tags`). Recipes set some (a pre-training run's loss weights,
numbers; a head run's `dataset`, which `sviml eval` uses to find it again); `sviml runs tag` adds or
removes others, stored as the text typed. Matching compares text, except that a number stored by a
recipe matches any spelling of the same number (`w_ground=0` matches 0.0). Standard library only:
the fast `runs ls` path uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import UserError

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
MAX_VALUE_CHARS = 500
# Tags the registry's own lookups read: changing them would lose a head run or an ablation's runs.
PROTECTED = frozenset({"dataset", "ablation", "checkpoint"})


def check_key(key: str) -> str:
    """`key` if it is a usable tag name (letters, digits, `_ . -`, not starting with a digit or sign)."""
    if not KEY.match(key):
        raise UserError(f"bad tag name {key!r}: use letters, digits, '_', '.' and '-', starting with a letter or '_'")
    return key


def parse_tag(text: str) -> tuple[str, str]:
    """`'sweep=lr'` -> ('sweep', 'lr'); malformed input is a `UserError` naming it."""
    key, sep, value = text.partition("=")
    if not sep:
        raise UserError(f"expected KEY=VALUE, got {text!r}")
    if len(value) > MAX_VALUE_CHARS:
        raise UserError(f"tag {key!r}: the value is longer than {MAX_VALUE_CHARS} characters")
    return check_key(key.strip()), value


def parse_tags(texts: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(parse_tag(text) for text in texts)


def tag_text(value: Any) -> str:
    """How a stored tag value reads (JSON spellings for booleans and null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def tag_matches(tags: Mapping[str, Any] | None, key: str, wanted: str) -> bool:
    """Whether a run with `tags` has tag `key` equal to `wanted` (numbers compared as numbers)."""
    if not tags or key not in tags:
        return False
    value = tags[key]
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(wanted) == float(value)
        except ValueError:
            return False
    return tag_text(value) == wanted
