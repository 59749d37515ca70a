"""Which feature-cache folders belong to which exported weights (`core.data.feature_cache`).

Features are cached per weights fingerprint (path, size and modification time of the weights file),
one folder each. A folder whose fingerprint matches no registered export that still exists belongs to
weights that were deleted or exported again: nothing will read it again. Entries lying directly in
the cache folder predate the per-weights layout and are unreachable too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.data.feature_cache import SHARED_FOLDER, feature_cache_dir, weights_fingerprint, weights_folder

if TYPE_CHECKING:
    from core.settings import Settings


def live_folder_names(exports: Iterable[Path]) -> set[str]:
    """Cache folder names of the weights of these export folders (missing weights have none)."""
    names = set()
    for export in exports:
        try:
            names.add(weights_folder(weights_fingerprint(export)))
        except OSError:
            continue
    return names


def cache_folders_of(settings: Settings, exports: Iterable[Path]) -> list[Path]:
    """The existing cache folders of these exports' current weights."""
    root = feature_cache_dir(settings)
    return [root / name for name in sorted(live_folder_names(exports)) if (root / name).is_dir()]


def unreachable_entries(settings: Settings, exports: Iterable[Path]) -> list[Path]:
    """Cache folders of weights that are none of `exports`' (fingerprinted only when there are cache
    folders to judge), and entries of the earlier flat layout."""
    root = feature_cache_dir(settings)
    if not root.is_dir():
        return []
    entries = sorted(root.iterdir())
    folders = [entry for entry in entries if entry.is_dir() and entry.name != SHARED_FOLDER]
    live = live_folder_names(exports) if folders else set()
    return [entry for entry in entries if entry in folders and entry.name not in live
            or entry.is_file() and entry.suffix == ".npz"]
