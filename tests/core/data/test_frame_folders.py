"""Videos stored as folders of frames (MMAction2's rawframes): found, read, checked, timed."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.formats import read_index
from core.data.frame_folder import FrameFolder, find_gap
from core.data.registration import load_registered, register_dataset, verify_dataset
from core.data.tasks.clips import ClipReader
from core.data.video import VideoReadError, open_video
from core.errors import UserError
from tests.core.data.layouts import make_captions, make_msrvtt
from tests.core.data.media import write_frame_folder


def red(frames: np.ndarray) -> list[int]:
    return [int(round(v / 8)) for v in frames[:, 0, -1, 0]]


@pytest.mark.parametrize("pattern,first", [("img_{:05d}.jpg", 1), ("{:05d}.jpg", 0), ("{:d}.png", 1)])
def test_frames_are_read_in_number_order(tmp_path, pattern, first):
    folder = write_frame_folder(tmp_path / "v", count=12, pattern=pattern, first=first)
    video = open_video(folder, fps=4.0)
    assert isinstance(video, FrameFolder) and video.info.num_frames == 12 and video.info.duration == 3.0
    frames = video.frames(np.array([0, 5, 11, 5]))
    assert frames.shape == (4, 64, 64, 3) and red(frames) == [0, 5, 11, 5]
    assert frames[0, 10, 10, 1] > 150 and frames[0, 50, 50, 1] < 50  # the green square, RGB order


def test_gaps_and_empty_folders_are_unreadable(tmp_path):
    assert find_gap([1, 2, 3]) is None
    assert find_gap([1, 2, 5, 6]) == "frames 3-4 missing" and find_gap([0, 2]) == "frames 1 missing"
    with pytest.raises(VideoReadError, match="frames 5-6 missing"):
        open_video(write_frame_folder(tmp_path / "gap", count=10, skip=(5, 6)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoReadError, match="no frame files"):
        open_video(tmp_path / "empty")


def test_rate_from_the_duration_and_reduced_jpeg_decoding(tmp_path):
    folder = write_frame_folder(tmp_path / "v", count=20, width=320, height=160)
    assert open_video(folder, duration=5.0).info.fps == 4.0
    assert open_video(folder, fps=10.0, duration=5.0).info.fps == 10.0  # --fps wins over the duration
    half = open_video(folder, short_side=80).frames(np.array([3]))
    quarter = open_video(folder, short_side=40).frames(np.array([3]))
    assert half.shape == (1, 80, 160, 3) and quarter.shape == (1, 40, 80, 3)
    assert red(half) == [3] and red(quarter) == [3]


def test_a_dataset_with_frame_folders_registers_and_reads(registry, tmp_path):
    root = make_msrvtt(tmp_path / "m")
    (root / "videos" / "all" / "video1.mp4").unlink()
    write_frame_folder(root / "videos" / "all" / "video1", count=16)
    (root / "videos" / "all" / "video2.mp4").unlink()
    write_frame_folder(root / "videos" / "all" / "video2", count=16, skip=(9,))
    dataset = register_dataset(registry, "msrvtt", root, fps=8.0)
    assert dataset.meta["fps"] == 8.0
    index = load_registered(registry, "msrvtt")
    sample = next(s for s in index.split("train") if s.id == "video1")
    assert sample.video == "videos/all/video1" and index.frame_fps == 8.0
    assert red(ClipReader(4).clip(index, sample)) == [2, 6, 10, 14]
    report = verify_dataset(registry, "msrvtt", full=True)
    assert [(p["problem"], p["id"], p["detail"].split(": ")[-1]) for p in report.problems] == \
        [("unreadable", "video2", "frames 9 missing")]


def test_windows_in_frame_folders_need_a_rate(registry, tmp_path):
    root = make_captions(tmp_path / "c", n=2)  # clip0 also has the window [0.5, 1.5] s
    (root / "videos" / "clip0.mp4").unlink()
    write_frame_folder(root / "videos" / "clip0", count=16)
    with pytest.raises(UserError, match="--fps"):
        register_dataset(registry, "captions", root)
    assert registry.list_datasets() == []
    register_dataset(registry, "captions", root, fps=8.0)
    index = read_index("captions", root, fps=8.0)
    window = next(s for s in index.split("train") if s.start == 0.5)
    assert red(ClipReader(4).clip(index, window)) == [5, 7, 9, 11]  # frames 4..12 at 8 fps
