"""Arrays computed once from frozen weights and cached on disk: features, snippet features.

Cache key: the exported weights (path, size, mtime: `weights_fingerprint`), the dataset's annotation
hash, the split and the protocol (frames, size, views, crops, what is extracted). Arrays are stored
as `.npz` (no pickle) under `<SVIML_HOME>/cache/features/<weights folder>/`, written atomically:
derived data, safe to delete. One folder per weights fingerprint (`weights_folder`) lets `sviml gc`
find the features of deleted or re-exported weights without reading any entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from core.settings import Settings

CACHE_VERSION = 1
SHARED_FOLDER = "shared"  # entries whose key names no weights


def feature_cache_dir(settings: Settings) -> Path:
    return Path(settings.home) / "cache" / "features"


def weights_fingerprint(export_dir: Path) -> str:
    """Which weights: the export's weight file by path, size and modification time."""
    from core.train.export_layout import WEIGHTS

    # os.path rather than pathlib: `sviml gc` fingerprints every export of a team's registry.
    stat = os.stat(os.path.join(export_dir, WEIGHTS))
    return f"{os.path.realpath(export_dir)}:{stat.st_size}:{stat.st_mtime_ns}"


def weights_folder(fingerprint: str) -> str:
    """The cache folder name of the features of one set of weights (a `weights_fingerprint`)."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def cache_path(cache_dir: Path, **key: Any) -> Path:
    """Where the arrays of `key` live: in the folder of `key["weights"]` (`shared/` without weights)."""
    digest = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **key}, sort_keys=True, default=str).encode())
    weights = key.get("weights")
    folder = weights_folder(str(weights)) if weights is not None else SHARED_FOLDER
    return Path(cache_dir) / folder / f"{digest.hexdigest()[:32]}.npz"


def cached(path: Path, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays at `path`, computing and storing them on a miss.

    With several processes (a process group), every rank calls this together: rank 0's look at the
    cache decides for all, every rank computes (each its share, `core.data.sharding`), rank 0 writes.
    """
    import numpy as np  # here: `sviml gc` reads this module's layout without paying numpy's import

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
