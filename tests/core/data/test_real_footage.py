"""Decoding real footage: every codec and container of the fixtures, decoding at size, bytes
sources (shard members), and re-encoding with `core.data.transcode`."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.data.transcode import TranscodeError, TranscodeParams, output_size, transcode
from core.data.video import Video, VideoReadError, check_video, decode_size, open_video, probe_size


def test_every_fixture_codec_decodes_at_its_size(real_clips):
    sizes = {}
    for path in real_clips:
        video = open_video(path)
        frames = video.frames(np.array([0, 10, video.info.num_frames - 1]))
        sizes[path.suffix] = frames.shape[1:3]
        assert frames.dtype == np.uint8 and frames.shape[-1] == 3
        assert frames.std() > 10  # real content, not a flat colour
        assert probe_size(path) == (frames.shape[2], frames.shape[1])
    assert sizes == {".mp4": (720, 1280), ".avi": (272, 640), ".webm": (144, 176), ".mkv": (136, 320)}


def test_decoding_at_size_matches_decoding_then_resizing(real_clips):
    path = real_clips[0]  # 1280x720 H.264
    indices = np.array([3, 17, 31])
    video = Video(path, short_side=224)
    assert video.size == (398, 224)
    small = video.frames(indices)  # [3, 224, 398, 3]
    full = Video(path).frames(indices)  # [3, 720, 1280, 3]
    resized = np.stack([cv2.resize(f, (398, 224), interpolation=cv2.INTER_AREA) for f in full])
    assert small.shape == resized.shape == (3, 224, 398, 3)
    # Different resampling filters (swscale's inside decord vs OpenCV's area): close, not equal.
    assert np.abs(small.astype(int) - resized.astype(int)).mean() < 4.0


def test_decode_size_never_enlarges_nor_asks_decord_for_narrow_widths():
    assert decode_size((1280, 720), 256) == (456, 256)
    assert decode_size((176, 144), 224) is None  # already smaller
    assert decode_size((100, 400), 64) is None  # 64 px wide: below decord's safe widths
    assert decode_size(None, 224) is None
    assert output_size(641, 273, 136) == (320, 136)  # even sizes for yuv420p


def test_bytes_of_a_file_decode_like_the_file(real_clips):
    path = real_clips[1]  # MPEG-4 in AVI
    indices = np.array([0, 7, 39])
    from_bytes = open_video(path.read_bytes(), name="member.avi")
    assert from_bytes.path == "member.avi"
    assert np.array_equal(from_bytes.frames(indices), open_video(path).frames(indices))
    # A truncated member: reported with its name, never a crash (decord segfaults on some truncated
    # streams it reads from memory, so members are decoded from a temporary file).
    data = real_clips[0].read_bytes()
    error = check_video(data[: len(data) // 3], full=True, name="shard0:cut.mp4")
    assert error is not None and error.startswith("shard0:cut.mp4: ")
    cut_avi = path.read_bytes()[: len(path.read_bytes()) // 3]
    assert open_video(cut_avi, name="cut.avi").info.num_frames < 40  # AVI: what is there decodes


def test_transcode_scales_drops_frames_and_sets_keyframes(real_clips, tmp_path):
    src = real_clips[0]  # 40 frames at 25 fps, 1280x720
    result = transcode(src, tmp_path / "out.mp4", TranscodeParams(short_side=128, fps=12.5, gop=4))
    assert (result.width, result.height, result.frames, result.fps) == (228, 128, 20, 12.5)
    import av

    with av.open(str(tmp_path / "out.mp4")) as container:
        keyframes = [packet.is_keyframe for packet in container.demux(video=0) if packet.size]
    assert len(keyframes) == 20 and [i for i, k in enumerate(keyframes) if k] == [0, 4, 8, 12, 16]
    out = open_video(tmp_path / "out.mp4").frames(np.arange(20))
    source = open_video(src).frames(np.arange(0, 40, 2))  # 25 -> 12.5 fps keeps every second frame
    small = np.stack([cv2.resize(f, (228, 128), interpolation=cv2.INTER_AREA) for f in source])
    assert np.abs(out.astype(int) - small.astype(int)).mean() < 6.0
    assert not list(tmp_path.glob(".*part*"))  # no temporary left behind


def test_transcode_of_a_broken_file_leaves_nothing(tmp_path, real_clips):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    with pytest.raises(TranscodeError, match="broken.mp4"):
        transcode(broken, tmp_path / "out" / "x.mp4", TranscodeParams())
    assert not (tmp_path / "out" / "x.mp4").exists() and not list((tmp_path / "out").glob("*"))
    with pytest.raises(VideoReadError):
        Video(broken)
