"""Re-encoding one video with PyAV: a smaller short side, a lower frame rate, short GOPs.

What `sviml data compress` does to every video of a dataset, and how the tests and benchmarks cut
real footage into clips of other codecs and containers. Decoding a clip for training costs
roughly its pixel count times the frames decoded between keyframes: a short side of 256 and a
keyframe every 8 frames make the 16 frames a training clip samples cheap to reach (seeking lands
at most 7 frames before each), and x264's `fastdecode` tuning (no CABAC, no deblocking filter,
no weighted prediction) makes each frame about a third cheaper to decode for ~7% more bytes
(measured on the benchmark's clips: 71.7 -> 47.7 CPU ms per 16-frame clip).

Writes go to a temporary name in the target folder and are renamed into place only once
complete, so a killed run never leaves a half-written video under the final name.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

CONTAINERS = {".mp4": "mp4", ".avi": "avi", ".webm": "webm", ".mkv": "matroska", ".mov": "mov"}


@dataclass(frozen=True)
class TranscodeParams:
    """How videos are re-encoded. Recorded with the derived dataset: part of every result's protocol."""

    short_side: int | None = 256  # None: keep the size
    fps: float | None = None  # None: keep the frame rate; else drop frames down to it (never adds)
    gop: int = 8  # a keyframe every `gop` frames
    codec: str = "libx264"
    crf: int = 23  # libx264/libvpx-vp9 quality (lower is better); mpeg4 uses qscale 3
    preset: str = "veryfast"  # libx264 speed preset
    tune: str | None = "fastdecode"  # libx264 tuning: cheap decoding for the training loader

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TranscodeResult:
    frames: int
    width: int
    height: int
    fps: float


class TranscodeError(Exception):
    """The source could not be decoded (or the result not written). `str(err)` says why in one line."""


def output_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    """(width, height) with the short side scaled to `short_side` (never enlarged), both even
    (yuv420p needs even sizes)."""
    if short_side is None or min(width, height) <= short_side:
        scale = 1.0
    else:
        scale = short_side / min(width, height)
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def _source_frames(src: str | Path, start: int, count: int | None) -> tuple[Iterator[Any], float, int, int]:
    """(an iterator of av.VideoFrame or uint8 [H, W, 3] arrays, fps, width, height) of the source:
    a video file or a frame folder."""
    from core.data.frame_folder import FrameFolder, is_frame_folder

    if is_frame_folder(src):
        folder = FrameFolder(src)
        stop = folder.info.num_frames if count is None else min(folder.info.num_frames, start + count)
        first = folder.frames(np.array([start]))[0]
        frames = (folder.frames(np.array([i]))[0] for i in range(start, stop))
        return frames, folder.info.fps, first.shape[1], first.shape[0]
    import av

    container = av.open(str(src))
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    fps = float(stream.average_rate or stream.guessed_rate or 25)
    width, height = stream.codec_context.width, stream.codec_context.height

    def frames() -> Iterator[Any]:
        try:
            for number, frame in enumerate(container.decode(stream)):
                if number < start:
                    continue
                if count is not None and number >= start + count:
                    break
                yield frame
        finally:
            container.close()

    return frames(), fps, width, height


def transcode(src: str | Path, dst: str | Path, params: TranscodeParams, start: int = 0,
              count: int | None = None, source_fps: float | None = None) -> TranscodeResult:
    """Re-encode frames [start, start + count) of `src` (a video file or a frame folder) into `dst`
    (container from its suffix). `source_fps` overrides the source's rate (frame folders)."""
    import av

    dst = Path(dst)
    container_format = CONTAINERS.get(dst.suffix.lower())
    if container_format is None:
        raise ValueError(f"{dst}: unknown container suffix (use one of {', '.join(CONTAINERS)})")
    try:
        frames, fps, width, height = _source_frames(src, start, count)
    except Exception as err:  # av.error.*, IndexError without a video stream, VideoReadError
        raise TranscodeError(f"{src}: cannot open: {_line(err)}") from err
    fps = source_fps or fps
    out_fps = min(fps, params.fps) if params.fps else fps
    out_w, out_h = output_size(width, height, params.short_side)
    rate = Fraction(out_fps).limit_denominator(1001)
    dst.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.stem}.", suffix=f".part{dst.suffix}")
    os.close(handle)
    written = 0
    try:
        with av.open(tmp, "w", format=container_format) as out:
            stream = out.add_stream(params.codec, rate=rate, options=_codec_options(params))
            stream.width, stream.height, stream.pix_fmt = out_w, out_h, "yuv420p"
            stream.codec_context.gop_size = params.gop
            if params.codec == "mpeg4":
                stream.codec_context.qscale = 3
            try:
                for number, frame in enumerate(frames):
                    # Frame k of the output shows source frame floor(k * fps / out_fps): drop, never repeat.
                    if out_fps < fps and math.floor(written * fps / out_fps) != number:
                        continue
                    picture = frame if isinstance(frame, av.VideoFrame) else av.VideoFrame.from_ndarray(frame, "rgb24")
                    picture = picture.reformat(out_w, out_h, "yuv420p", interpolation="AREA")
                    picture.pts, picture.time_base = written, 1 / rate
                    out.mux(stream.encode(picture))
                    written += 1
            except av.error.FFmpegError as err:
                raise TranscodeError(f"{src}: cannot decode: {_line(err)}") from err
            out.mux(stream.encode())
        if written == 0:
            raise TranscodeError(f"{src}: no frame decoded")
        os.replace(tmp, dst)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return TranscodeResult(written, out_w, out_h, float(out_fps))


def _codec_options(params: TranscodeParams) -> dict[str, str]:
    if params.codec == "libx264":
        # No B-frames: every frame decodes without looking ahead, so seeks land cheaply.
        options = {"crf": str(params.crf), "preset": params.preset, "bf": "0"}
        return {**options, "tune": params.tune} if params.tune else options
    if params.codec == "libvpx-vp9":
        return {"crf": str(params.crf), "b": "0", "deadline": "realtime", "cpu-used": "8"}
    return {}


def _line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:200]
