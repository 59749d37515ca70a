"""Decoding clips with decord (PyAV for the files decord mis-decodes), and where to sample frames.

Frames come back as numpy uint8 `[T, H, W, 3]` (RGB, the decoders' native layout: no copy);
`transforms.py` turns them into `[T, 3, S, S]` tensors.

decord 0.6 fails on some frame widths (seen: 16, 24, 48, 72 px): `get_batch` raises
`DECORDArrayCopyFromTo: The size must exactly match` and `vr[i]` returns 4-channel frames. A
file that does this is read with PyAV instead (exact, slower), and remembered for this process.

Sampling: `uniform_indices` takes the centres of T equal segments of a frame range (with `rng`,
a random point in each segment instead). `view_indices` gives V temporal views as shifted copies
of that grid (view v at offset (v + 0.5) / V of each segment), so every view spans the whole
window at the same temporal scale as training.
"""

from __future__ import annotations

import math
import re
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


class Video:
    """One opened video file. `frames(indices)` -> uint8 [N, H, W, 3]."""

    def __init__(self, path: str | Path, threads: int = 1):
        self.path = str(path)
        self.threads = threads
        self._reader = None
        self._pyav: _PyAVFile | None = None
        if not Path(self.path).is_file():
            raise VideoReadError(f"{self.path}: no such file")
        if self.path in _PYAV_FILES:
            self._pyav = _PyAVFile(self.path)
            self.info = self._pyav.info
            return
        decord = _decord()
        try:
            self._reader = decord.VideoReader(self.path, ctx=decord.cpu(0), num_threads=threads)
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
        self._pyav = _PyAVFile(self.path)
        return self._pyav.frames(indices)

    def all_frames(self) -> int:
        """Decode every frame (to find truncation); returns how many decoded."""
        n = self.info.num_frames
        for first in range(0, n, _CHUNK):
            self.frames(np.arange(first, min(first + _CHUNK, n)))
        return n


class _PyAVFile:
    """Sequential PyAV decoding: exact for any frame size; used where decord fails."""

    def __init__(self, path: str):
        import av

        self.path = path
        try:
            with av.open(path) as container:
                stream = container.streams.video[0]
                fps = float(stream.average_rate or stream.guessed_rate or 0)
                count = stream.frames or sum(1 for _ in container.decode(video=0))
        except Exception as err:  # av.error.* for broken files, IndexError without a video stream
            raise VideoReadError(f"{path}: cannot open: {_first_line(err)}") from err
        if count <= 0:
            raise VideoReadError(f"{path}: no video frames")
        self.info = VideoInfo(int(count), fps)

    def frames(self, indices: np.ndarray) -> np.ndarray:
        import av

        wanted = set(indices.tolist())
        last = max(wanted)
        got: dict[int, np.ndarray] = {}
        try:
            with av.open(self.path) as container:
                for number, frame in enumerate(container.decode(video=0)):
                    if number in wanted:
                        got[number] = frame.to_ndarray(format="rgb24")
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
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """uint8 [T, H, W, 3]: T frames sampled uniformly over the file or its [start, end] window."""
    video = Video(path)
    first, stop = frame_range(video.info, start, end)
    return video.frames(uniform_indices(first, stop, num_frames, rng))


def read_views(
    path: str | Path, num_frames: int, views: int, start: float | None = None, end: float | None = None
) -> np.ndarray:
    """uint8 [V, T, H, W, 3]: V temporal views of T frames each (one decode call)."""
    video = Video(path)
    first, stop = frame_range(video.info, start, end)
    grid = view_indices(first, stop, num_frames, views)  # [V, T]
    frames = video.frames(grid.reshape(-1))  # [V*T, H, W, 3]
    return frames.reshape(views, num_frames, *frames.shape[1:])


def read_windows(
    path: str | Path, window: int, stride: int, fps: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Sliding windows over a whole (untrimmed) video.

    Frames are taken at `fps` (None: every frame); window w holds frames w*stride .. w*stride +
    window - 1 of that sequence (the last window repeats the final frame to fill up).
    Returns (uint8 [W, window, H, W, 3], window start times [W] in seconds, duration in seconds).
    """
    video = Video(path)
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


def check_video(path: str | Path, full: bool = False) -> str | None:
    """None when the video decodes, else why not (one line). `full` decodes every frame; otherwise
    the first, middle and last frames."""
    try:
        video = Video(path)
        if full:
            video.all_frames()
        else:
            n = video.info.num_frames
            video.frames(np.array(sorted({0, n // 2, n - 1})))
    except VideoReadError as err:
        return str(err)
    return None
