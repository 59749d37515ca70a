"""Where the data caches live: `<SVIML_HOME>/cache/nouns/` (noun phrases) and `.../clips/` (decoded clips).

Both are derived data, safe to delete; both are keyed so that a changed file gets new entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.data.clip_cache import ClipCache

if TYPE_CHECKING:
    from core.settings import Settings

DEFAULT_CLIP_CACHE_BYTES = 4 << 30


def noun_cache_dir(settings: Settings) -> Path:
    return Path(settings.home) / "cache" / "nouns"


def clip_cache(settings: Settings, max_bytes: int = DEFAULT_CLIP_CACHE_BYTES) -> ClipCache:
    return ClipCache(Path(settings.home) / "cache" / "clips", max_bytes=max_bytes)
