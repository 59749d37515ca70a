"""Video files through PyAV: H.264 in MP4, MPEG-4 Part 2 in AVI (the containers the real datasets use).

One encoder per file, single-threaded and configured to be repeatable, so decoded frames are
identical however many worker processes render the suite (the workers already use the cores).
Quality is set high (CRF 18 / qscale 2) so that object colours survive chroma subsampling.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CONTAINERS: dict[str, tuple[str, str, str]] = {
    # suffix: (container format, codec, pixel format)
    ".mp4": ("mp4", "libx264", "yuv420p"),
    ".avi": ("avi", "mpeg4", "yuv420p"),
}
# mbtree and the rate-control lookahead off: with them, libx264 encoded the same 64x64 frames
# differently from one call to the next (seen with PyAV 18 here), and decoded frames must not vary.
_OPTIONS = {".mp4": {"crf": "18", "preset": "superfast", "x264-params": "mbtree=0:rc-lookahead=0"}, ".avi": {}}


def write_video(path: Path, frames: np.ndarray, fps: int) -> None:
    """Encode frames [T, H, W, 3] uint8 RGB to `path`; the suffix (.mp4 or .avi) picks the format."""
    suffix = path.suffix.lower()
    if suffix not in CONTAINERS:
        raise ValueError(f"cannot write {path.name}: only {sorted(CONTAINERS)} are written")
    fmt, codec, pix = CONTAINERS[suffix]
    T, H, W, _ = frames.shape
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps, options=_OPTIONS[suffix])
        stream.width, stream.height, stream.pix_fmt = W, H, pix
        stream.thread_count = 1
        if suffix == ".avi":
            # mpeg4 has no CRF: a fixed quantiser (qscale 2, ffmpeg's -q:v 2) keeps colours within a few levels.
            stream.codec_context.qscale = 2
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            vf.time_base = Fraction(1, fps)
            container.mux(stream.encode(vf))
        container.mux(stream.encode())
