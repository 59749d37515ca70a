"""Features of a frozen model over a dataset split (cached on disk by `core.data.feature_cache`).

Shape letters: N videos, V views, C encoder width, D joint embedding dim, Nc captions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch


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


@torch.inference_mode()
def outputs_by_index(loader: Iterable[dict[str, Any]], count: int,
                     compute: Callable[[dict[str, Any]], dict[str, np.ndarray]],
                     progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Per item of a `count`-item dataset: the arrays `compute(batch)` gives per batch ([B, ...] each),
    placed at the batch's `index`, and `valid` [N] (whether the item's video was read).

    The loader must deliver every item once (evaluation loaders do; unreadable videos come as
    placeholders with `valid` false), so no row keeps its initial zeros.
    """
    arrays: dict[str, np.ndarray] = {}
    valid = np.zeros(count, dtype=bool)
    for batch in loader:
        index = batch["index"].numpy()
        for name, values in compute(batch).items():
            if name not in arrays:
                arrays[name] = np.zeros((count, *values.shape[1:]), dtype=values.dtype)
            arrays[name][index] = values
        valid[index] = batch["valid"].numpy()
        if progress is not None:
            progress(len(index))
    return {**arrays, "valid": valid}
