"""Decoding: uniform sampling, windows, views, sliding windows, broken files, awkward widths."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.video import (
    Video,
    VideoInfo,
    VideoReadError,
    check_video,
    frame_range,
    read_clip,
    read_views,
    read_windows,
    uniform_indices,
    view_indices,
)
from tests.core.data.media import truncate, write_video


def red(frames: np.ndarray) -> list[int]:
    """Frame numbers from the test videos' red channel (8 per frame)."""
    return [int(round(v / 8)) for v in frames[:, 0, -1, 0]]


def test_uniform_indices_are_segment_centres():
    assert uniform_indices(0, 16, 4).tolist() == [2, 6, 10, 14]
    assert uniform_indices(4, 6, 4).tolist() == [4, 4, 5, 5]  # fewer frames than T: repeats
    jittered = uniform_indices(0, 16, 4, np.random.default_rng(0))
    assert all(4 * k <= i < 4 * (k + 1) for k, i in enumerate(jittered.tolist()))


def test_view_indices_are_shifted_grids():
    views = view_indices(0, 16, 4, 2)
    assert views.tolist() == [[1, 5, 9, 13], [3, 7, 11, 15]]


def test_frame_range_clamps_to_the_video():
    info = VideoInfo(num_frames=16, fps=8.0)
    assert frame_range(info, None, None) == (0, 16)
    assert frame_range(info, 0.5, 1.0) == (4, 8)
    assert frame_range(info, 5.0, 9.0) == (15, 16)  # beyond the end: the last frame


def test_read_clip_whole_and_window(tmp_path):
    path = write_video(tmp_path / "a.mp4")
    clip = read_clip(path, 4)
    assert clip.shape == (4, 64, 64, 3) and clip.dtype == np.uint8
    assert red(clip) == [2, 6, 10, 14]
    assert red(read_clip(path, 2, start=1.0, end=2.0)) == [10, 14]


@pytest.mark.parametrize("width", [48, 72])
def test_awkward_widths_decode(tmp_path, width):
    """decord 0.6 fails on these widths (DECORDArrayCopyFromTo); the reader falls back to PyAV."""
    path = write_video(tmp_path / f"w{width}.mp4", width=width, height=40)
    clip = read_clip(path, 4)
    assert clip.shape == (4, 40, width, 3)
    assert red(clip) == [2, 6, 10, 14]
    assert read_views(path, 4, 2).shape == (2, 4, 40, width, 3)
    assert check_video(path, full=True) is None


def test_read_views_and_windows(tmp_path):
    path = write_video(tmp_path / "a.mp4", count=24, fps=4)
    views = read_views(path, 3, 2)
    assert views.shape == (2, 3, 64, 64, 3)
    frames, starts, duration = read_windows(path, window=8, stride=8)
    assert frames.shape == (3, 8, 64, 64, 3) and duration == pytest.approx(6.0)
    assert starts.tolist() == [0.0, 2.0, 4.0]
    frames, starts, _ = read_windows(path, window=4, stride=3, fps=2)  # 12 frames at 2 fps
    assert frames.shape[0] == 4 and starts.tolist() == [0.0, 1.5, 3.0, 4.5]
    assert red(frames[1]) == [6, 8, 10, 12]


def test_missing_and_truncated_files(tmp_path):
    with pytest.raises(VideoReadError, match="no such file"):
        Video(tmp_path / "nope.mp4")
    path = write_video(tmp_path / "t.mp4")
    truncate(path, 0.5)
    assert check_video(path) is not None
    assert "cannot" in check_video(path, full=True)
    assert check_video(write_video(tmp_path / "ok.avi"), full=True) is None
