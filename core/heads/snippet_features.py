"""Snippet features for localization (the localizer's input): a frozen video tower over sliding windows, rescaled to T snippets.

Shape letters: N videos, Wn windows of a video, F frames per window, S crop size, C video width,
Nt temporal and Ns spatial token positions of a window, D descriptor width (C or 2C), T snippets
(100), P pyramid points, K classes, G actions of a video.

Each window of F frames (sampled at `fps`, every `stride` frames) is encoded by the frozen video
tower into tokens Z [Nt, Ns, C]. The `descriptor` of each temporal position:
- `mean`: the tokens averaged over space, z_t = mean_s Z[t, s] (the clip feature; width C);
- `motion` (the default): [z_t ; mean_s |Z[t, s] - Z[t-1, s]|] (width 2C), appearance plus how much
  each place changed since the previous tubelet of the window (the first position repeats the
  second's change). Why: an action is something moving, and a spatial mean is nearly blind to it:
  an object sliding or spinning keeps about the same mean token. On the synthetic suite's
  localization videos (one object, a slow background drift, actions that move/spin/grow it) a
  per-snippet probe on `mean` features could not even tell action from background, and the `small`
  demo's TAL went from mAP@0.5 3.1 (`mean`) to 21.3 (`motion`), same checkpoint, head and steps.
  This is the appearance + motion pairing of the two-stream (RGB + optical flow) features that
  ActivityNet localizers are usually trained on, computed from the one frozen tower.
A window's feature is its descriptors averaged over time, placed at the window's centre time;
or, with `per_position`, each of its Nt descriptors (one per tubelet) placed at its tubelet's
centre time, which gives non-overlapping windows (stride = F) a tubelet's time resolution at a
fraction of the cost of densely overlapping windows (features falling at the same time are
averaged). The features are then rescaled by linear interpolation to T snippets evenly covering
the annotated duration (snippet i centred at (i + 0.5) * duration / T), the fixed-length input of
the localization head. Features are cached on disk keyed like `core.eval.features` (weights, annotation
hash, split, protocol).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from pydantic import Field
from torch.utils.data import DataLoader

from core.config import ConfigModel
from core.data.index import DatasetIndex
from core.data.sharding import gather_rows, my_share

if TYPE_CHECKING:
    from core.model.svilm import SViLM


class SnippetFeatureConfig(ConfigModel):
    """How the frozen tower sees an untrimmed video."""

    window: int | None = Field(None, ge=1)  # F frames per window (None: the model's frame count)
    stride: int = Field(8, ge=1)  # frames between window starts
    fps: float = Field(4.0, gt=0)  # frames are sampled at this rate
    per_position: bool = True  # one feature per tubelet of each window (else one per window)
    descriptor: Literal["mean", "motion"] = "motion"  # see the module docstring
    batch_size: int = Field(32, ge=1)  # windows per forward pass
    workers: int = Field(1, ge=0)  # DataLoader processes decoding videos while the tower encodes (0: inline)


DESCRIPTORS = ("mean", "motion")


def descriptor_width(descriptor: str, width: int) -> int:
    """D: the feature width a descriptor gives for a tower of width C."""
    return 2 * width if descriptor == "motion" else width


def describe(tokens: torch.Tensor, descriptor: str) -> torch.Tensor:
    """tokens Z [Wn, Nt, Ns, C] -> one descriptor per temporal position [Wn, Nt, D]."""
    appearance = tokens.mean(2)  # [Wn, Nt, C]
    if descriptor == "mean":
        return appearance
    if tokens.shape[1] < 2:  # a single temporal position: nothing to compare with
        return torch.cat([appearance, torch.zeros_like(appearance)], -1)
    change = (tokens[:, 1:] - tokens[:, :-1]).abs().mean(2)  # [Wn, Nt-1, C]
    change = torch.cat([change[:, :1], change], 1)  # [Wn, Nt, C]: the first position takes the second's
    return torch.cat([appearance, change], -1)  # [Wn, Nt, 2C]


def rescale(features: np.ndarray, centres: np.ndarray, duration: float, snippets: int) -> np.ndarray:
    """Features [n, C] at times [n] (any order) -> [T, C] by linear interpolation (clamped at the ends)."""
    centres, slot = np.unique(np.round(centres, 6), return_inverse=True)  # sorted distinct times
    summed = np.zeros((len(centres), features.shape[1]), dtype=np.float64)
    np.add.at(summed, slot, features)
    features = summed / np.bincount(slot, minlength=len(centres))[:, None]  # same time: averaged
    tau = (np.arange(snippets) + 0.5) * duration / snippets  # [T] snippet centres, seconds
    position = np.interp(tau, centres, np.arange(len(centres), dtype=np.float64))  # [T] fractional window
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, len(centres) - 1)
    weight = (position - lo)[:, None]  # [T, 1]
    return (features[lo] * (1 - weight) + features[hi] * weight).astype(np.float32)  # [T, C]


@torch.inference_mode()
def extract(model: SViLM, index: DatasetIndex, split: str, cfg: SnippetFeatureConfig, snippets: int,
            device: torch.device, progress: Callable[[int], None] | None = None,
            workers: int = 0) -> dict[str, np.ndarray]:
    """Per video of `split`: `features` [N, T, C], `valid` [N], `duration` [N], `windows` [N].

    Videos are decoded by `workers` DataLoader processes while the tower encodes (0: here); with a
    process group each rank takes its share of the videos and every rank ends with all of them.
    """
    from core.data.tasks.localization import LocalizationDataset

    vcfg = model.cfg.video
    window = cfg.window or vcfg.num_frames
    data = LocalizationDataset(index, split=split, window=window, stride=cfg.stride, fps=cfg.fps, size=vcfg.image_size)
    N, C = len(data), descriptor_width(cfg.descriptor, vcfg.width)
    features = np.zeros((N, snippets, C), dtype=np.float32)
    valid = np.zeros(N, dtype=bool)
    duration = np.zeros(N, dtype=np.float64)
    windows = np.zeros(N, dtype=np.int64)
    mine = my_share(range(N))
    # One video per item (batch_size=None: no collation), in the sampler's order with any worker count.
    loader = DataLoader(data, batch_size=None, sampler=mine, num_workers=workers,
                        prefetch_factor=2 if workers else None)
    for item in loader:
        i = item["index"]
        duration[i] = item["duration"]
        if item["valid"] and item["frames"].shape[0] > 0 and item["duration"] > 0:
            frames = item["frames"]  # [Wn, F, 3, S, S]
            described = torch.cat([describe(model.encode_video(frames[j:j + cfg.batch_size].to(device),
                                                               with_regions=False).tokens.float(), cfg.descriptor).cpu()
                                   for j in range(0, frames.shape[0], cfg.batch_size)]).numpy()  # [Wn, Nt, D]
            starts = item["starts"].numpy().astype(np.float64)  # [Wn] seconds
            if cfg.per_position:
                Nt = described.shape[1]
                span = window / Nt  # frames per temporal position (a tubelet)
                offsets = (np.arange(Nt) * span + (span - 1) / 2) / cfg.fps  # [Nt] centre of each tubelet
                times = (starts[:, None] + offsets[None, :]).reshape(-1)  # [Wn*Nt]
                features[i] = rescale(described.reshape(-1, C), times, item["duration"], snippets)
            else:
                centres = starts + (window - 1) / (2 * cfg.fps)  # [Wn]
                features[i] = rescale(described.mean(1), centres, item["duration"], snippets)
            valid[i] = True
            windows[i] = frames.shape[0]
        if progress is not None:
            progress(1)
    arrays = {"features": features, "valid": valid, "duration": duration, "windows": windows}
    return gather_rows(arrays, np.asarray(mine, dtype=np.int64), N)


def feature_key(weights: str, index: DatasetIndex, split: str, cfg: SnippetFeatureConfig, snippets: int,
                frames: int, size: int) -> dict[str, Any]:
    """The cache key of a split's snippet features (see `core.eval.features.cache_path`)."""
    return dict(weights=weights, annotations=index.annotation_key(), split=split, frames=frames, size=size,
                window=cfg.window or frames, stride=cfg.stride, fps=cfg.fps, per_position=cfg.per_position,
                descriptor=cfg.descriptor, snippets=snippets, what="tal_snippets")
