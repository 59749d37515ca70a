"""Lazy package exports: `from core.registry import Registry` without importing SQLAlchemy until used.

A package lists `name -> module` and sets `__getattr__ = lazy_exports(__name__, EXPORTS)`: the first
access to a name imports its module (PEP 562), so `import core.registry` itself costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module-level `__getattr__` resolving `exports` (name -> module) on first use."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
