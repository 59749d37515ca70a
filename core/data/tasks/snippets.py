"""Localization training items: one video's cached snippet features and its actions in snippet units.

Shape letters: N videos, T snippets, C feature width, G actions of a video.

The features come from `core.heads.snippet_features.extract` (a frozen tower over sliding windows,
rescaled to T snippets); the head's targets are assigned per batch by
`core.heads.localization_loss.LocalizerCollate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from core.data.index import Sample


class SnippetDataset(Dataset):
    """Training items: one video's snippet features and its actions in snippet units (valid videos only)."""

    def __init__(self, samples: list[Sample], arrays: dict[str, np.ndarray], snippets: int):
        keep = np.flatnonzero(arrays["valid"] & (arrays["duration"] > 0))
        self.features = torch.from_numpy(arrays["features"][keep])  # [N', T, C]
        self.segments, self.labels = [], []
        for i in keep:
            sample, scale = samples[i], snippets / arrays["duration"][i]
            seg = torch.tensor([[s.start * scale, s.end * scale] for s in sample.segments],
                               dtype=torch.float32).view(-1, 2).clamp(0, snippets)  # [G, 2]
            self.segments.append(seg)
            self.labels.append(torch.tensor([s.label for s in sample.segments], dtype=torch.long))  # [G]

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"features": self.features[i], "segments": self.segments[i], "labels": self.labels[i], "index": i}
