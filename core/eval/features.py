"""Features of a frozen model over a dataset split (cached on disk by `core.data.feature_cache`), each
evaluation process encoding its share of the batches (`core.data.sharding`).

Shape letters: N videos, V views, C encoder width, D joint embedding dim, Nc captions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from core.data.sharding import ShardedBatches, gather_rows

if TYPE_CHECKING:
    from core.model.svilm import SViLM


def encode_videos(model: SViLM, loader: Iterable[dict[str, Any]], device: torch.device, count: int,
                  progress: Callable[[int], None] | None = None, ordered: bool = False) -> dict[str, np.ndarray]:
    """Per video: `embedding` [N, V, D] (u) and `pooled` [N, V, C] (mean clip features), `valid` [N];
    with `ordered`, also `ordered` [N, V, Nt * C]: the clip features in time order, concatenated.

    Batches hold `frames` [B, T, 3, S, S] or [B, V, T, 3, S, S] (views), `index` [B], `valid` [B].
    """

    def encode(batch: dict[str, Any]) -> dict[str, np.ndarray]:
        frames = batch["frames"]
        if frames.dim() == 5:
            frames = frames.unsqueeze(1)  # [B, 1, T, 3, S, S]
        B, V = frames.shape[:2]
        out = model.encode_video(frames.flatten(0, 1).to(device), with_regions=False)
        arrays = {"embedding": out.embedding.float().view(B, V, -1).cpu().numpy(),  # [B, V, D]
                  "pooled": out.clip.float().mean(1).view(B, V, -1).cpu().numpy()}  # [B, V, C]
        if ordered:
            arrays["ordered"] = out.clip.float().flatten(1).view(B, V, -1).cpu().numpy()  # [B, V, Nt * C]
        return arrays

    arrays = outputs_by_index(loader, count, encode, progress)
    if "embedding" not in arrays:
        raise ValueError("no videos to encode")
    return arrays


def eval_loader(dataset: Dataset, batch_size: int, workers: int,
                collate_fn: Callable[[list[Any]], Any] | None) -> DataLoader:
    """The evaluation loader of `dataset`: one-process batches in order, this rank's share of them
    (`core.data.sharding`): all of them in one process."""
    from core.data.loader import build_loader

    return build_loader(dataset, None, workers=workers, collate_fn=collate_fn,
                        batch_sampler=ShardedBatches(len(dataset), batch_size))


@torch.inference_mode()
def encode_texts(model: SViLM, ids: torch.Tensor, mask: torch.Tensor, device: torch.device,
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
    rows: list[np.ndarray] = []
    for batch in loader:
        index = batch["index"].numpy()
        for name, values in compute(batch).items():
            if name not in arrays:
                arrays[name] = np.zeros((count, *values.shape[1:]), dtype=values.dtype)
            arrays[name][index] = values
        valid[index] = batch["valid"].numpy()
        rows.append(index)
        if progress is not None:
            progress(len(index))
    # Several evaluation processes each filled their share of the rows: every rank gets them all.
    return gather_rows({**arrays, "valid": valid}, np.concatenate(rows) if rows else np.zeros(0, np.int64), count)
