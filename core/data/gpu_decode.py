"""GPU decoding of training clips (`data.decoder=gpu`): NVDEC through NVIDIA's PyNvVideoCodec.

Shape letters: B batch, T frames, S crop size, H x W a frame's size.

Why PyNvVideoCodec (`pip install 'sviml[gpu-decode]'`, checked 2026-11-29 against PyPI): it is
NVIDIA's maintained Python binding of the Video Codec SDK (NVDEC), a 27 MB wheel with no Python
dependencies for CPython 3.10-3.13 that bundles its FFmpeg demuxer and supports CUDA 12 and 13
drivers, and it hands frames to torch through DLPack, so it works with any torch build, the
pinned torch 2.13 included. Its `SimpleDecoder` decodes a list of frame indices from a file or
from bytes (a shard member). The alternatives: NVIDIA DALI (`nvidia-dali-cuda130` 2.4.0, a 199 MB
wheel plus nvimgcodec and nvcomp) pins `packaging<=26.3`, which conflicts with the lock's
packaging 26.4, and reads videos through its own pipeline graph rather than per-sample frame
lists; torchcodec's CUDA decoding needs a CUDA build of torchcodec from PyTorch's own index
(PyPI's wheels are CPU-only), matched to the exact torch minor version, and a system FFmpeg
with NVDEC.

How: the loader's workers send clip plans instead of frames (`core.data.clip_plan`: the same
random draws as CPU decoding); `DeviceBatches` decodes each batch's plans on the GPU, resizes,
crops and flips there (`transform_on_device`), and yields the batch with `frames` uint8
[B, T, 3, S, S] already on the device. A clip NVDEC cannot decode is decoded on the CPU instead
and counted. Selection (`select_decoder`): `gpu` needs a CUDA device and a loadable
PyNvVideoCodec; otherwise training falls back to decord on the CPU workers, and says why.

Same clips, within a tolerance: the frame indices, crop box and flip are identical; the pixels
differ by the YUV -> RGB conversion (NVDEC's vs FFmpeg's swscale) and the resampling (torch's
antialiased bilinear vs OpenCV's area/bilinear, after decord's own scaling when decoding at size).
The resampling part, `transform_on_device` against the CPU path on the same decoded frames, is
tested on CPU tensors: a mean absolute difference under 2 levels of 255 at 224 px from a
256-pixel decode (1.0-1.5 measured), under 4 at 112 px from a 224-pixel decode (up to 3.5).
`bench/decode_gpu.py` measures the whole difference, NVDEC's colour conversion included, on a
GPU, against a tolerance of 4 levels.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from core.data.clip_plan import ClipPlan

if TYPE_CHECKING:  # OpenCV stays out of this module's imports (bench/decode_gpu.py runs without it)
    from core.data.transforms import TrainTransform

DECODERS = ("cpu", "gpu")
log = logging.getLogger("sviml.data")


@dataclass(frozen=True)
class DecoderChoice:
    name: str  # "cpu" or "gpu"
    reason: str  # one line for the run's log


def select_decoder(requested: str, device_type: str) -> DecoderChoice:
    """The decoder a run uses: `gpu` when asked for and possible, else CPU decord (and why)."""
    if requested not in DECODERS:
        raise ValueError(f"data.decoder must be one of {', '.join(DECODERS)}, got {requested!r}")
    if requested == "cpu":
        return DecoderChoice("cpu", "decord on the CPU workers (data.decoder=cpu)")
    fallback = "data.decoder=gpu falls back to decord on the CPU workers: "
    if device_type != "cuda" or not torch.cuda.is_available():
        return DecoderChoice("cpu", fallback + "no CUDA device")
    if importlib.util.find_spec("PyNvVideoCodec") is None:
        return DecoderChoice("cpu", fallback + "PyNvVideoCodec is not installed (pip install 'sviml[gpu-decode]')")
    try:
        import PyNvVideoCodec  # noqa: F401  (loads the driver's NVDEC library)
    except Exception as err:  # noqa: BLE001 - any load failure means: decode on the CPU
        return DecoderChoice("cpu", fallback + f"PyNvVideoCodec does not load ({str(err).splitlines()[0][:120]})")
    return DecoderChoice("gpu", "NVDEC through PyNvVideoCodec in the training process")


def transform_on_device(frames: Tensor, plan: ClipPlan, size: int) -> Tensor:
    """uint8 [T, H, W, 3] (any device) -> uint8 [T, 3, S, S]: the plan's decode size, crop, resize, flip."""
    x = frames.permute(0, 3, 1, 2).float()  # [T, 3, H, W]
    if tuple(x.shape[-2:]) != (plan.height, plan.width):
        x = F.interpolate(x, size=(plan.height, plan.width), mode="bilinear", antialias=True, align_corners=False)
    top, left, h, w = plan.box
    x = x[:, :, top : top + h, left : left + w]  # [T, 3, h, w]
    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=h > size or w > size, align_corners=False)
    if plan.flip:
        x = x.flip(-1)
    return x.round().clamp_(0, 255).to(torch.uint8)  # [T, 3, S, S]


class NvdecClips:
    """Decodes plans with PyNvVideoCodec on one GPU (a CUDA machine with NVDEC only)."""

    def __init__(self, device: torch.device, size: int):
        import PyNvVideoCodec as nvc

        self.nvc = nvc
        self.device = device
        self.size = size
        self._decoder: Any = None  # reused for file sources: a new NVDEC session per clip costs milliseconds

    def _open(self, plan: ClipPlan) -> Any:
        nvc = self.nvc
        if plan.member is None and self._decoder is not None:
            try:
                self._decoder.reconfigure_decoder(plan.path)
                return self._decoder
            except Exception:  # noqa: BLE001 - a source it cannot switch to: open a fresh decoder
                self._decoder = None
        decoder = nvc.SimpleDecoder(plan.source(), gpu_id=self.device.index or 0, use_device_memory=True,
                                    output_color_type=nvc.OutputColorType.RGB)
        if plan.member is None:
            self._decoder = decoder
        return decoder

    def decode(self, plan: ClipPlan) -> Tensor:
        """uint8 [T, 3, S, S] on the device."""
        decoder = self._open(plan)
        last = len(decoder) - 1
        wanted = np.clip(plan.indices, 0, last)
        unique = sorted(set(wanted.tolist()))
        decoded = decoder.get_batch_frames_by_index(unique)
        frames = torch.stack([torch.from_dlpack(frame) for frame in decoded])  # [U, H, W, 3] on the GPU
        lookup = torch.as_tensor(np.searchsorted(unique, wanted), device=frames.device)
        return transform_on_device(frames[lookup], plan, self.size)  # [T, 3, S, S]


class DeviceBatches:
    """Batches whose `clips` (plans, or clips a worker already made) become `frames` on `device`."""

    def __init__(self, batches: Iterator[dict[str, Any]], decoder: Any, device: torch.device,
                 transform: TrainTransform):
        self.batches = batches
        self.decoder = decoder  # has decode(plan) -> uint8 [T, 3, S, S]
        self.device = device
        self.transform = transform
        self.fallbacks = 0  # clips decoded on the CPU because the GPU decoder failed on them

    def __iter__(self) -> DeviceBatches:
        return self

    def _clip(self, clip: ClipPlan | Tensor) -> Tensor:
        if isinstance(clip, Tensor):
            return clip.to(self.device, non_blocking=True)
        try:
            return self.decoder.decode(clip)
        except Exception as err:  # noqa: BLE001 - NVDEC refuses some codecs/profiles: decode on the CPU
            self.fallbacks += 1
            log.warning("GPU decoding failed for %s (%s): decoded on the CPU", clip.name, str(err)[:200])
            from core.data.clip_plan import execute_on_cpu

            return execute_on_cpu(clip, self.transform).to(self.device)

    def __next__(self) -> dict[str, Any]:
        batch = next(self.batches)
        batch["frames"] = torch.stack([self._clip(c) for c in batch.pop("clips")])  # [B, T, 3, S, S]
        return batch
