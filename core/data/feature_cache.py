"""Arrays computed once from frozen weights and cached on disk: features, snippet features.

Cache key: the exported weights (path, size, mtime: `weights_fingerprint`), the dataset's annotation
hash, the split and the protocol (frames, size, views, crops, what is extracted). Arrays are stored
as `.npz` (no pickle) under `<SVIML_HOME>/cache/features/`, written atomically: derived data, safe
to delete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from core.settings import Settings

CACHE_VERSION = 1


def feature_cache_dir(settings: Settings) -> Path:
    return Path(settings.home) / "cache" / "features"


def weights_fingerprint(export_dir: Path) -> str:
    """Which weights: the export's weight file by path, size and modification time."""
    from core.train.export import WEIGHTS

    stat = (Path(export_dir) / WEIGHTS).stat()
    return f"{Path(export_dir).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def cache_path(cache_dir: Path, **key: Any) -> Path:
    digest = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **key}, sort_keys=True, default=str).encode())
    return Path(cache_dir) / f"{digest.hexdigest()[:32]}.npz"


def cached(path: Path, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays at `path`, computing and storing them on a miss.

    With several processes (a process group), every rank calls this together: rank 0's look at the
    cache decides for all, every rank computes (each its share, `core.data.sharding`), rank 0 writes.
    """
    from core.data.sharding import eval_rank
    from core.train.distributed import broadcast_object

    if broadcast_object(path.is_file()):
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    arrays = compute()
    if eval_rank()[0] == 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
    return arrays
