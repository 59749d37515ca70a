"""Tiny videos for the data tests, written with PyAV (H.264 in .mp4, MPEG-4 in .avi).

Frame t of a video is a flat colour whose red channel is 8 * t (so tests can tell which frames
were sampled) with a green square in the top-left quarter. Encoded bytes are memoised per
(size, frames, fps, container): copying them is much faster than encoding each file.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import av
import numpy as np


def frames_for(width: int, height: int, count: int) -> np.ndarray:
    """uint8 [count, height, width, 3]: red = 8 * t, a green square top-left."""
    frames = np.zeros((count, height, width, 3), np.uint8)
    frames[..., 0] = (np.arange(count) * 8 % 256)[:, None, None]
    frames[:, : height // 2, : width // 2, 1] = 200
    return frames


@functools.lru_cache(maxsize=32)
def encoded(width: int, height: int, count: int, fps: int, suffix: str) -> bytes:
    buffer = io.BytesIO()
    fmt, codec = ("mp4", "libx264") if suffix == ".mp4" else ("avi", "mpeg4")
    with av.open(buffer, "w", format=fmt) as container:
        options = {"crf": "10", "preset": "ultrafast"} if codec == "libx264" else {}
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "mpeg4":
            stream.codec_context.qscale = 2
        for frame in frames_for(width, height, count):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def write_video(path: Path, width: int = 64, height: int = 64, count: int = 16, fps: int = 8) -> Path:
    """A tiny video at `path` (the suffix picks the container: .mp4 or .avi)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded(width, height, count, fps, path.suffix.lower()))
    return path


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut a file to a fraction of its bytes (a broken download)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def write_frame_folder(folder: Path, count: int = 16, width: int = 64, height: int = 64, pattern: str = "img_{:05d}.jpg",
                       first: int = 1, skip: tuple[int, ...] = ()) -> Path:
    """A video as a folder of frames (MMAction2's rawframes): the frames of `frames_for`, numbered
    from `first`, minus the numbers in `skip` (a folder with gaps)."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames_for(width, height, count)):
        if first + t not in skip:
            cv2.imwrite(str(folder / pattern.format(first + t)), frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 98])
    return folder
