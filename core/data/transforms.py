"""Spatial transforms on uint8 clips, the same crop and flip for every frame of a clip.

Input uint8 `[T, H, W, 3]` (numpy or torch, as `video.py` decodes); output a uint8 torch tensor
`[T, 3, S, S]`. Clips stay uint8 (the model normalises): a DataLoader moves them between
processes 4x cheaper than float.

The output is a channels-first *view* of channels-last memory (strides of `[T, S, S, 3]`): each
frame is resized straight into its slot of one `[T, S, S, 3]` buffer, and nothing transposes it
on the CPU. The collations' stacks (`np.stack`, `torch.stack`) keep that layout, so a batch reads
as `[B, T, 3, S, S]` with channels-last memory, and the first copy that needs another layout is
the model's own tubelet embedding (`core/model/layers.py`, whose permute and reshape copy the
frames once whatever their layout; on a GPU, after the transfer). Materialising channels-first
here cost a second full copy of every clip (~1.4 ms for 16 frames at 224 px, 15-30% of what the
loader added to decoding on cheap compressed clips: BENCHMARKS.md). Whoever needs a contiguous
tensor calls `.contiguous()`.

The work is done in numpy and OpenCV, single-threaded, not with torch ops: torch would
parallelise these tiny tensors over its intra-op thread pool, which the training step in the
same process owns (with 0 workers) and where every barrier costs milliseconds when the cores
are busy. Resizing is bilinear; INTER_AREA (antialiased) when shrinking 2x or more.
Random draws come from a `numpy.random.Generator` the caller seeds, so a sample's augmentation
depends on (seed, epoch, index) only, never on the worker that made it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import get_worker_info

# Frames are 64-224 px: splitting one resize over threads costs more than it saves, and the
# loader's parallelism is its worker processes.
cv2.setNumThreads(1)


def as_array(frames: np.ndarray | Tensor) -> np.ndarray:
    """uint8 [T, H, W, 3] as a numpy array (no copy for numpy input or CPU tensors)."""
    clip = frames.numpy() if isinstance(frames, Tensor) else np.asarray(frames)
    if clip.dtype != np.uint8 or clip.ndim != 4 or clip.shape[-1] != 3:
        raise ValueError(f"expected uint8 [T, H, W, 3] frames, got {clip.dtype} {tuple(clip.shape)}")
    return clip


def resize(clip: np.ndarray, height: int, width: int, flip: bool = False) -> np.ndarray:
    """uint8 [T, h, w, 3] -> uint8 [T, height, width, 3] (a new array), mirrored left-right if `flip`."""
    h, w = clip.shape[1:3]
    out = np.empty((clip.shape[0], height, width, 3), dtype=np.uint8)  # [T, height, width, 3]
    if (h, w) == (height, width):
        if flip:
            for t, frame in enumerate(clip):
                cv2.flip(frame, 1, dst=out[t])
        else:
            np.copyto(out, clip)
        return out
    # INTER_AREA antialiases but costs 2-8x more; aliasing only matters from 2x shrinking on.
    interpolation = cv2.INTER_AREA if h >= 2 * height and w >= 2 * width else cv2.INTER_LINEAR
    # Each frame is written into its slot (no per-frame arrays to stack); a flip costs one more
    # frame-sized copy through `scratch` (OpenCV cannot flip in place).
    scratch = np.empty((height, width, 3), dtype=np.uint8) if flip else None
    for t, frame in enumerate(clip):
        if scratch is None:
            cv2.resize(frame, (width, height), dst=out[t], interpolation=interpolation)
        else:
            cv2.resize(frame, (width, height), dst=scratch, interpolation=interpolation)
            cv2.flip(scratch, 1, dst=out[t])
    return out


def channels_first_view(clip: np.ndarray) -> Tensor:
    """uint8 [T, H, W, 3] -> uint8 tensor [T, 3, H, W], a view (no copy; not contiguous)."""
    return torch.from_numpy(clip).permute(0, 3, 1, 2)


def stack_frames(clips: list[Tensor]) -> Tensor:
    """N uint8 clips [T, 3, S, S] (any layout) -> uint8 [N, T, 3, S, S] with channels-last memory.

    One copy. In a DataLoader worker the batch is written straight into shared memory, as torch's
    default collation does, so that the worker's queue sends a handle instead of copying the
    batch a second time. numpy does the copy: torch.stack would split it over the intra-op pool
    that the training step in the same process owns (with 0 workers).
    """
    T, C, H, W = clips[0].shape
    shape = (len(clips), T, H, W, C)  # channels-last memory
    if get_worker_info() is not None:
        storage = torch.UntypedStorage._new_shared(math.prod(shape))
        memory = torch.empty(0, dtype=torch.uint8).set_(storage).view(shape)
    else:
        memory = torch.empty(shape, dtype=torch.uint8)
    batch = memory.permute(0, 1, 4, 2, 3)  # [N, T, 3, S, S]
    np.stack([clip.numpy() for clip in clips], out=batch.numpy())
    return batch


@dataclass(frozen=True)
class TrainTransform:
    """Random resized crop (area `scale`, aspect `ratio`) + horizontal flip, one draw per clip."""

    size: int
    scale: tuple[float, float] = (0.4, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: float = 0.5

    def crop_box(self, height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
        """(top, left, h, w) as torchvision's RandomResizedCrop draws it (10 tries, then centre)."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(*log_ratio))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(rng.integers(0, height - h + 1))
                left = int(rng.integers(0, width - w + 1))
                return top, left, h, w
        side = min(height, width)
        return (height - side) // 2, (width - side) // 2, side, side

    def draw(self, height: int, width: int, rng: np.random.Generator) -> tuple[tuple[int, int, int, int], bool]:
        """The clip's random crop box (top, left, h, w) and flip, in that order of draws."""
        box = self.crop_box(height, width, rng)
        return box, bool(rng.random() < self.flip)

    def apply(self, frames: np.ndarray | Tensor, box: tuple[int, int, int, int], flip: bool) -> Tensor:
        """uint8 [T, H, W, 3] -> uint8 [T, 3, S, S]: crop `box`, resize to S x S, mirror if `flip`."""
        clip = as_array(frames)  # [T, H, W, 3]
        top, left, h, w = box
        clip = resize(clip[:, top : top + h, left : left + w], self.size, self.size, flip)  # [T, S, S, 3]
        return channels_first_view(clip)  # [T, 3, S, S], channels-last memory

    def __call__(self, frames: np.ndarray | Tensor, rng: np.random.Generator) -> Tensor:
        clip = as_array(frames)  # [T, H, W, 3]
        box, flip = self.draw(clip.shape[1], clip.shape[2], rng)
        return self.apply(clip, box, flip)


@dataclass(frozen=True)
class EvalTransform:
    """Resize the short side to `size`, then `crops` square crops: 1 = centre; 3 = both ends and
    the centre of the long side (the usual multi-crop testing)."""

    size: int
    crops: int = 1

    def _resized(self, frames: np.ndarray | Tensor) -> np.ndarray:
        clip = as_array(frames)  # [T, H, W, 3]
        h, w = clip.shape[1:3]
        scale = self.size / min(h, w)
        return resize(clip, max(self.size, round(h * scale)), max(self.size, round(w * scale)))

    def __call__(self, frames: np.ndarray | Tensor) -> Tensor:
        """uint8 [T, H, W, 3] -> uint8 [T, 3, S, S] (the centre crop)."""
        clip = self._resized(frames)
        h, w = clip.shape[1:3]
        top, left = (h - self.size) // 2, (w - self.size) // 2
        return channels_first_view(clip[:, top : top + self.size, left : left + self.size])  # [T, 3, S, S]

    def views(self, frames: np.ndarray | Tensor) -> Tensor:
        """uint8 [T, H, W, 3] -> uint8 [C, T, 3, S, S], C = `crops` spatial crops."""
        if self.crops == 1:
            return self(frames).unsqueeze(0)
        if self.crops != 3:
            raise ValueError(f"crops must be 1 or 3, got {self.crops}")
        clip = self._resized(frames)
        h, w = clip.shape[1:3]
        s = self.size
        if w >= h:
            boxes = [((h - s) // 2, left) for left in (0, (w - s) // 2, w - s)]
        else:
            boxes = [(top, (w - s) // 2) for top in (0, (h - s) // 2, h - s)]
        return torch.from_numpy(np.stack([
            np.ascontiguousarray(clip[:, t : t + s, x : x + s].transpose(0, 3, 1, 2)) for t, x in boxes
        ]))  # [C, T, 3, S, S]
