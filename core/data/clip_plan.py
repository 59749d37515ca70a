"""A clip's decode plan: which frames of which video, at which size, cropped and flipped how.

Shape letters: T frames, S crop size, H x W the frame size the crop box refers to.

With `data.decoder=gpu` the loader's workers do not decode: they draw everything random about a
training clip (frame positions, caption, noun prompts, crop box, flip: the same draws, in the same
order, as when they decode) and send this plan; the training process decodes the batch's plans on
the GPU (`core.data.gpu_decode`). `execute_on_cpu` runs a plan with the CPU decoder: exactly the
clip a worker would have made itself, which is what the tests hold the plans to (and the GPU
executor is held to within its stated tolerance).

The crop box refers to the size the CPU decoder would produce: the native size, or with
`short_side` the decoder's scaled size (`core.data.video.decode_size`); the source's size is read
with the container probe (~3 ms).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from core.data.shards.layout import read_member
from core.data.video import VideoReadError, decode_size, open_video, probe_size

if TYPE_CHECKING:  # OpenCV stays out of the GPU path's imports (bench/decode_gpu.py runs without it)
    from torch import Tensor

    from core.data.transforms import TrainTransform


@dataclass(frozen=True)
class ClipPlan:
    path: str  # a video file, or the shard holding the member
    name: str  # what errors and skips call it (the path, or shard:key)
    indices: np.ndarray  # [T] frame indices
    height: int  # the frame size the crop box refers to (the CPU decoder's output)
    width: int
    short_side: int | None  # the CPU decoder's `short_side` (None: native size)
    member: tuple[int, int] | None = None  # (offset, size) of a shard member
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, h, w
    flip: bool = False

    def source(self) -> str | bytes:
        """The file path, or the member's bytes."""
        if self.member is None:
            return self.path
        try:
            return read_member(self.path, *self.member)
        except OSError as err:
            raise VideoReadError(f"{self.name}: {err}") from err

    def with_crop(self, box: tuple[int, int, int, int], flip: bool) -> ClipPlan:
        return replace(self, box=box, flip=flip)


def plan_clip(path: str, name: str, indices: np.ndarray, short_side: int | None,
              member: tuple[int, int] | None = None, data: bytes | None = None) -> ClipPlan:
    """A plan without its crop yet (PairMaker draws it): probes the source's size."""
    native = probe_size(data if data is not None else path)
    if native is None:
        raise VideoReadError(f"{name}: cannot read the video size")
    width, height = decode_size(native, short_side) or native
    return ClipPlan(path, name, np.asarray(indices, dtype=np.int64), height, width, short_side, member)


def execute_on_cpu(plan: ClipPlan, transform: TrainTransform) -> Tensor:
    """uint8 [T, 3, S, S]: the plan's clip decoded and transformed on the CPU (decord, OpenCV)."""
    video = open_video(plan.source(), short_side=plan.short_side, name=plan.name)
    frames = video.frames(plan.indices)  # [T, H, W, 3]
    if frames.shape[1:3] != (plan.height, plan.width):
        raise VideoReadError(f"{plan.name}: decoded {frames.shape[2]}x{frames.shape[1]}, planned "
                             f"{plan.width}x{plan.height}")
    return transform.apply(frames, plan.box, plan.flip)
