"""Decoding clips with decord (PyAV for the files decord mis-decodes), and where to sample frames.

Frames come back as numpy uint8 `[T, H, W, 3]` (RGB, the decoders' native layout: no copy);
`transforms.py` turns them into `[T, 3, S, S]` tensors.

A source is a file path, the bytes of a file (a member of a WebDataset shard) or a frame folder
(`core.data.frame_folder`); `open_video` opens any of them. With `short_side`, the decoder itself
scales frames so that their short side is `short_side` (never enlarged): decord resizes inside
its decode loop, which costs much less than decoding full frames and resizing them after. The
source's size is read first with a cheap PyAV probe (~3 ms: container headers only).

decord 0.6 fails on some frame widths (seen: 16, 24, 48, 72 px): `get_batch` raises
`DECORDArrayCopyFromTo: The size must exactly match` and `vr[i]` returns 4-channel frames. A
file that does this is read with PyAV instead (exact, slower), and remembered for this process.
Decoding at size never asks decord for a width under 80 px (the failing widths are all below).

Sampling: `uniform_indices` takes the centres of T equal segments of a frame range (with `rng`,
a random point in each segment instead). `view_indices` gives V temporal views as shifted copies
of that grid (view v at offset (v + 0.5) / V of each segment), so every view spans the whole
window at the same temporal scale as training.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PYAV_FILES: set[str] = set()  # files decord mis-decodes, read with PyAV from then on (per process)
_DECORD_PREFIX = re.compile(r"^\[[\d:]+\] \S+:\d+: (Check failed: )?")
_CHUNK = 32  # frames per decode call when reading a whole video


class VideoReadError(Exception):
    """A video is missing, unreadable or truncated. `str(err)` says why in one line."""


@dataclass(frozen=True)
class VideoInfo:
    num_frames: int
    fps: float

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0


def _decord():
    import decord

    # ffmpeg's messages about broken files would interleave with progress bars; errors still raise.
    decord.logging.set_level(decord.logging.QUIET)
    return decord


Source = str | Path | bytes  # a file, the bytes of one (a shard member), or a frame folder
MIN_DECODE_WIDTH = 80  # decord 0.6 mis-decodes some widths below this (16, 24, 48, 72 px)


def _stream(source: Source):  # -> str | io.BytesIO
    return io.BytesIO(source) if isinstance(source, bytes) else str(source)


def _spill(data: bytes, suffix: str) -> str:
    """`data` written to a temporary file (in memory under /dev/shm where there is one), deleted when
    the caller's Video is collected. decord crashes the process (SIGSEGV) on some truncated files it
    reads from a Python stream, but reports them cleanly when it reads the same bytes from a file."""
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    handle, path = tempfile.mkstemp(prefix="sviml-member-", suffix=suffix, dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return path


def probe_size(source: Source) -> tuple[int, int] | None:
    """(width, height) of the first video stream from the container's headers (~3 ms), or None."""
    import av

    try:
        with av.open(_stream(source), options={"probesize": "4096", "analyzeduration": "0"}) as container:
            context = container.streams.video[0].codec_context
            return (context.width, context.height) if context.width and context.height else None
    except Exception:  # noqa: BLE001 - any failure here only means "decode at the native size"
        return None


def decode_size(native: tuple[int, int] | None, short_side: int | None) -> tuple[int, int] | None:
    """(width, height) to ask the decoder for: the short side scaled down to `short_side`, even
    sizes; None for the native size (unknown, already small enough, or too narrow for decord)."""
    if native is None or short_side is None:
        return None
    from core.data.transcode import output_size

    size = output_size(native[0], native[1], short_side)
    if size == native or size[0] < MIN_DECODE_WIDTH:
        return None
    return size


class Video:
    """One opened video (a file or its bytes). `frames(indices)` -> uint8 [N, H, W, 3]."""

    def __init__(self, source: Source, threads: int = 1, short_side: int | None = None, name: str | None = None):
        self.path = name or ("<bytes>" if isinstance(source, bytes) else str(source))
        if isinstance(source, bytes):
            source = _spill(source, Path(self.path).suffix)
            weakref.finalize(self, os.unlink, source)
        self.source = source
        self.threads = threads
        self._reader = None
        self._pyav: _PyAVFile | None = None
        if not Path(source).is_file():
            raise VideoReadError(f"{self.path}: no such file")
        self.size = decode_size(probe_size(source), short_side) if short_side else None
        if self.path in _PYAV_FILES:
            self._pyav = _PyAVFile(source, self.path, self.size)
            self.info = self._pyav.info
            return
        decord = _decord()
        width, height = self.size or (-1, -1)
        try:
            self._reader = decord.VideoReader(str(source), ctx=decord.cpu(0), width=width, height=height,
                                              num_threads=threads)
            self.info = VideoInfo(len(self._reader), float(self._reader.get_avg_fps() or 0.0))
        except Exception as err:  # decord raises DECORDError (and RuntimeError) for bad files
            raise VideoReadError(f"{self.path}: cannot open: {_first_line(err)}") from err
        if self.info.num_frames <= 0:
            raise VideoReadError(f"{self.path}: no video frames")

    def frames(self, indices: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] at the given frame indices (clamped to the video)."""
        indices = np.clip(np.asarray(indices, dtype=np.int64), 0, self.info.num_frames - 1)
        if self._pyav is not None:
            return self._pyav.frames(indices)
        try:
            batch = self._reader.get_batch(indices.tolist()).asnumpy()
        except Exception as err:
            if "size must exactly match" in str(err) or "from_size" in str(err):
                return self._fall_back(indices)
            raise VideoReadError(f"{self.path}: cannot decode: {_first_line(err)}") from err
        if batch.ndim != 4 or batch.shape[-1] != 3:
            return self._fall_back(indices)
        return batch

    def _fall_back(self, indices: np.ndarray) -> np.ndarray:
        _PYAV_FILES.add(self.path)
        self._reader = None
        self._pyav = _PyAVFile(self.source, self.path, self.size)
        return self._pyav.frames(indices)

    def all_frames(self) -> int:
        """Decode every frame (to find truncation); returns how many decoded."""
        n = self.info.num_frames
        for first in range(0, n, _CHUNK):
            self.frames(np.arange(first, min(first + _CHUNK, n)))
        return n


def open_video(source: Source, *, fps: float | None = None, duration: float | None = None,
               short_side: int | None = None, threads: int = 1, name: str | None = None):  # -> Video | FrameFolder
    """A video file, its bytes or a frame folder, opened (`fps`/`duration`: a frame folder's rate)."""
    from core.data.frame_folder import FrameFolder, is_frame_folder

    if is_frame_folder(source):
        return FrameFolder(source, fps=fps, duration=duration, short_side=short_side)
    return Video(source, threads=threads, short_side=short_side, name=name)


class _PyAVFile:
    """Sequential PyAV decoding: exact for any frame size; used where decord fails."""

    def __init__(self, source: Source, name: str, size: tuple[int, int] | None = None):
        import av

        self.source = source
        self.path = name
        self.size = size
        try:
            with av.open(_stream(source)) as container:
                stream = container.streams.video[0]
                fps = float(stream.average_rate or stream.guessed_rate or 0)
                count = stream.frames or sum(1 for _ in container.decode(video=0))
        except Exception as err:  # av.error.* for broken files, IndexError without a video stream
            raise VideoReadError(f"{name}: cannot open: {_first_line(err)}") from err
        if count <= 0:
            raise VideoReadError(f"{name}: no video frames")
        self.info = VideoInfo(int(count), fps)

    def frames(self, indices: np.ndarray) -> np.ndarray:
        import av

        wanted = set(indices.tolist())
        last = max(wanted)
        got: dict[int, np.ndarray] = {}
        width, height = self.size or (None, None)
        try:
            with av.open(_stream(self.source)) as container:
                for number, frame in enumerate(container.decode(video=0)):
                    if number in wanted:
                        got[number] = frame.to_ndarray(format="rgb24", width=width, height=height)
                    if number >= last:
                        break
        except Exception as err:
            raise VideoReadError(f"{self.path}: cannot decode: {_first_line(err)}") from err
        if not got:
            raise VideoReadError(f"{self.path}: no frame decoded")
        # A stream shorter than its header says: repeat the last frame decoded.
        latest = got[max(got)]
        return np.stack([got.get(i, latest) for i in indices.tolist()])


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    lines = [line for line in text.splitlines() if line.strip()]
    # decord prefixes "[hh:mm:ss] /src/file.cc:123: ": keep the message, first line, shortened.
    line = lines[0] if lines else text
    return _DECORD_PREFIX.sub("", line)[:200]


def frame_range(info: VideoInfo, start: float | None, end: float | None) -> tuple[int, int]:
    """[first, stop) frame indices of the window [start, end] seconds (None: the video's ends).

    A window beyond the video's end is clamped to its last frame: annotations round durations.
    """
    n = info.num_frames
    fps = info.fps if info.fps > 0 else 1.0
    first = 0 if start is None else min(max(int(math.floor(start * fps)), 0), n - 1)
    stop = n if end is None else min(max(int(math.ceil(end * fps)), first + 1), n)
    return first, max(stop, first + 1)


def uniform_indices(first: int, stop: int, num: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """[num] frame indices in [first, stop): segment centres, or a random point per segment."""
    length = stop - first
    offsets = rng.random(num) if rng is not None else np.full(num, 0.5)
    positions = (np.arange(num) + offsets) * (length / num)  # [num]
    return first + np.minimum(np.floor(positions).astype(np.int64), length - 1)


def view_indices(first: int, stop: int, num: int, views: int) -> np.ndarray:
    """[V, num] frame indices: V shifted uniform grids over [first, stop)."""
    length = stop - first
    rows = []
    for view in range(views):
        positions = (np.arange(num) + (view + 0.5) / views) * (length / num)
        rows.append(first + np.minimum(np.floor(positions).astype(np.int64), length - 1))
    return np.stack(rows)


def read_clip(
    path: str | Path, num_frames: int, start: float | None = None, end: float | None = None,
    rng: np.random.Generator | None = None, short_side: int | None = None,
) -> np.ndarray:
    """uint8 [T, H, W, 3]: T frames sampled uniformly over the file or its [start, end] window."""
    video = open_video(path, short_side=short_side)
    first, stop = frame_range(video.info, start, end)
    return video.frames(uniform_indices(first, stop, num_frames, rng))


def read_views(
    path: str | Path, num_frames: int, views: int, start: float | None = None, end: float | None = None
) -> np.ndarray:
    """uint8 [V, T, H, W, 3]: V temporal views of T frames each (one decode call)."""
    video = open_video(path)
    first, stop = frame_range(video.info, start, end)
    grid = view_indices(first, stop, num_frames, views)  # [V, T]
    frames = video.frames(grid.reshape(-1))  # [V*T, H, W, 3]
    return frames.reshape(views, num_frames, *frames.shape[1:])


def read_windows(
    path: str | Path, window: int, stride: int, fps: float | None = None, *, source_fps: float | None = None,
    duration: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Sliding windows over a whole (untrimmed) video.

    Frames are taken at `fps` (None: every frame); window w holds frames w*stride .. w*stride +
    window - 1 of that sequence (the last window repeats the final frame to fill up).
    Returns (uint8 [W, window, H, W, 3], window start times [W] in seconds, duration in seconds).
    A frame folder's rate is `source_fps`, else its frame count over the annotated `duration`.
    """
    video = open_video(path, fps=source_fps, duration=duration)
    info = video.info
    rate = fps or info.fps or 1.0
    if fps:
        count = max(int(math.floor(info.duration * fps)), 1)
        sequence = np.minimum(np.floor(np.arange(count) * (info.fps / fps)).astype(np.int64), info.num_frames - 1)
    else:
        sequence = np.arange(info.num_frames)
    starts = np.arange(0, max(len(sequence) - window, 0) + 1, stride)
    if starts[-1] + window < len(sequence):  # cover the tail
        starts = np.append(starts, starts[-1] + stride)
    positions = np.minimum(starts[:, None] + np.arange(window)[None, :], len(sequence) - 1)  # [W, window]
    wanted = np.unique(sequence[positions])
    decoded = video.frames(wanted)  # [U, H, W, 3]
    lookup = np.searchsorted(wanted, sequence[positions])  # [W, window]
    return decoded[lookup], starts / rate, info.duration


def check_video(path: Source, full: bool = False, name: str | None = None, fps: float | None = None) -> str | None:
    """None when the video (a file, its bytes or a frame folder) decodes, else why not (one line).
    `full` decodes every frame; otherwise the first, middle and last frames."""
    try:
        video = open_video(path, name=name, fps=fps)
        if full:
            video.all_frames()
        else:
            n = video.info.num_frames
            video.frames(np.array(sorted({0, n // 2, n - 1})))
    except VideoReadError as err:
        return str(err)
    return None
