"""Features of a frozen model over a dataset split, computed once and cached on disk.

Shape letters: N videos, V views, C encoder width, D joint embedding dim, Nc captions.

Cache key: the exported weights (path, size, mtime), the dataset's annotation hash, the split
and the protocol (frames, size, views, crops, what is extracted). Arrays are stored as `.npz`
(no pickle) under `<SVIML_HOME>/cache/features/`, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

CACHE_VERSION = 1


def weights_fingerprint(export_dir: Path) -> str:
    from core.train.export import WEIGHTS

    stat = (Path(export_dir) / WEIGHTS).stat()
    return f"{Path(export_dir).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def cache_path(cache_dir: Path, **key: Any) -> Path:
    digest = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **key}, sort_keys=True, default=str).encode())
    return Path(cache_dir) / f"{digest.hexdigest()[:32]}.npz"


def cached(path: Path, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays at `path`, computing and storing them on a miss."""
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return arrays


@torch.inference_mode()
def encode_videos(model: Any, loader: Any, device: torch.device, count: int,
                  progress: Callable[[int], None] | None = None, ordered: bool = False) -> dict[str, np.ndarray]:
    """Per video: `embedding` [N, V, D] (u) and `pooled` [N, V, C] (mean clip features), `valid` [N];
    with `ordered`, also `ordered` [N, V, Nt * C]: the clip features in time order, concatenated.

    Batches hold `frames` [B, T, 3, S, S] or [B, V, T, 3, S, S] (views), `index` [B], `valid` [B].
    """
    embedding = pooled = None
    valid = np.zeros(count, dtype=bool)
    for batch in loader:
        frames = batch["frames"]
        if frames.dim() == 5:
            frames = frames.unsqueeze(1)  # [B, 1, T, 3, S, S]
        B, V = frames.shape[:2]
        out = model.encode_video(frames.flatten(0, 1).to(device), with_regions=False)
        emb = out.embedding.float().view(B, V, -1).cpu().numpy()  # [B, V, D]
        pool = out.clip.float().mean(1).view(B, V, -1).cpu().numpy()  # [B, V, C]
        if embedding is None:
            embedding = np.zeros((count, V, emb.shape[-1]), dtype=np.float32)
            pooled = np.zeros((count, V, pool.shape[-1]), dtype=np.float32)
            if ordered:
                in_order = np.zeros((count, V, out.clip.shape[1] * out.clip.shape[2]), dtype=np.float32)
        index = batch["index"].numpy()
        embedding[index], pooled[index] = emb, pool
        if ordered:
            in_order[index] = out.clip.float().flatten(1).view(B, V, -1).cpu().numpy()  # [B, V, Nt * C]
        valid[index] = batch["valid"].numpy()
        if progress is not None:
            progress(B)
    if embedding is None:
        raise ValueError("no videos to encode")
    arrays = {"embedding": embedding, "pooled": pooled, "valid": valid}
    if ordered:
        arrays["ordered"] = in_order
    return arrays


@torch.inference_mode()
def encode_texts(model: Any, ids: torch.Tensor, mask: torch.Tensor, device: torch.device,
                 batch_size: int = 256) -> np.ndarray:
    """Text embeddings w [Nc, D] of token ids [Nc, L]."""
    chunks = [
        model.encode_text(ids[i:i + batch_size].to(device), mask[i:i + batch_size].to(device)).float().cpu()
        for i in range(0, len(ids), batch_size)
    ]
    return torch.cat(chunks).numpy()
