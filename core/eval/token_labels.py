"""Ground-truth label maps on the model's token grid, and token-grid maps back on pixels.

Shape letters: T frames, H/W source pixels, S model input side, Nt temporal positions
(T / tubelet), Gh/Gw token rows/columns (S / patch), Ns = Gh * Gw spatial positions.

The label maps go through the same geometry as the frames (`core.data.transforms.EvalTransform`:
short side resized to S, centre crop), with nearest-neighbour sampling so that labels stay labels.
A token covers `tubelet` frames x `patch` x `patch` pixels of the model input; its label is the
**plurality vote** of those pixels (background 0 included; ties go to the lower label, so a token
split evenly between background and an object counts as background). An object smaller than
about half a token can therefore own no token at all: callers leave such objects out and report
how many were scored.
"""

from __future__ import annotations

import cv2
import numpy as np


def transform_labels(labels: np.ndarray, size: int) -> np.ndarray:
    """uint8 [T, H, W] -> uint8 [T, S, S], the geometry of `EvalTransform(size)` with nearest sampling."""
    T, h, w = labels.shape
    scale = size / min(h, w)
    height, width = max(size, round(h * scale)), max(size, round(w * scale))
    if (height, width) != (h, w):
        # INTER_NEAREST_EXACT samples at pixel centres (plain INTER_NEAREST is shifted by half a pixel).
        labels = np.stack([cv2.resize(frame, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
                           for frame in labels])
    top, left = (height - size) // 2, (width - size) // 2
    return np.ascontiguousarray(labels[:, top:top + size, left:left + size])


def token_labels(labels: np.ndarray, tubelet: int, patch: int) -> np.ndarray:
    """uint8 [T, S, S] model-input label maps -> int64 [Nt, Ns]: each token's plurality label."""
    T, H, W = labels.shape
    if T % tubelet or H % patch or W % patch:
        raise ValueError(f"labels {T}x{H}x{W} are not divisible into {tubelet}x{patch}x{patch} tubelets")
    Nt, Gh, Gw = T // tubelet, H // patch, W // patch
    cells = labels.reshape(Nt, tubelet, Gh, patch, Gw, patch).transpose(0, 2, 4, 1, 3, 5)
    cells = cells.reshape(Nt, Gh * Gw, tubelet * patch * patch)  # [Nt, Ns, P]: the pixels of each token
    classes = int(labels.max()) + 1
    counts = (cells[..., None] == np.arange(classes)).sum(axis=2)  # [Nt, Ns, K+1]
    return counts.argmax(axis=-1)  # [Nt, Ns]; argmax keeps the first (lowest) label on ties


def tokens_to_pixels(groups: np.ndarray, grid: tuple[int, int], patch: int) -> np.ndarray:
    """Per-token values [Nt, Ns] -> [Nt, Gh*patch, Gw*patch], each token's value on its pixels."""
    Nt = groups.shape[0]
    cells = groups.reshape(Nt, grid[0], grid[1])  # [Nt, Gh, Gw]
    return cells.repeat(patch, axis=1).repeat(patch, axis=2)  # [Nt, S, S]
