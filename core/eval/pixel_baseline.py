"""A model-free reference for the temporal metrics: raw pixels as features.

Shape letters: N clips, T frames, S side, Nt temporal positions, G pooled grid side.

The synthetic suite changes the whole background at every scene boundary, so low-level colour
statistics alone may already separate scenes. Scoring the same protocol on tiny pooled images
tells how much of a model's number that cue explains: the evaluators record it beside the metric.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GRID = 8  # pooled image side: 8 x 8 x 3 = 192 features per position


def pixel_positions(frames: torch.Tensor, tubelet: int, grid: int = GRID) -> torch.Tensor:
    """uint8 frames [N, T, 3, S, S] -> float [N, Nt, 3*G*G]: each tubelet's frames averaged and
    area-pooled to G x G (scored exactly like the model's clip features)."""
    N, T = frames.shape[:2]
    x = F.adaptive_avg_pool2d(frames.flatten(0, 1).float() / 255.0, grid)  # [N*T, 3, G, G]
    return x.reshape(N, T // tubelet, tubelet, 3 * grid * grid).mean(2)  # [N, Nt, 3*G*G]


def pixel_windows(windows: torch.Tensor, grid: int = GRID) -> torch.Tensor:
    """uint8 windows [W, T, 3, S, S] -> float [W, 3*G*G]: each window's frames averaged and pooled."""
    W, T = windows.shape[:2]
    x = F.adaptive_avg_pool2d(windows.flatten(0, 1).float() / 255.0, grid)  # [W*T, 3, G, G]
    return x.reshape(W, T, 3 * grid * grid).mean(1)
