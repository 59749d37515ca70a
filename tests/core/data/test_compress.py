"""`sviml data compress`: transcoded once, resumable, registered as a derived dataset with its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.compress import compress_dataset, describe
from core.data.prepare import prepare_dataset, prepared_record
from core.data.registration import load_registered, register_dataset, verify_dataset
from core.data.shards.layout import scan_shard
from core.data.transcode import TranscodeParams
from core.data.video import open_video
from core.errors import UserError
from tests.core.data.layouts import CAPTIONS, make_shards
from tests.core.data.media import write_frame_folder

PARAMS = TranscodeParams(short_side=96, gop=4)


def real_captions(root, clips):
    """A captions dataset of real clips, a frame folder and a broken file."""
    (root / "videos").mkdir(parents=True)
    lines = ["video_path,caption"]
    for n, clip in enumerate(clips):
        (root / "videos" / f"real{n}{clip.suffix}").write_bytes(clip.read_bytes())
        lines.append(f"videos/real{n}{clip.suffix},{CAPTIONS[n]}")
    write_frame_folder(root / "videos" / "frames", count=20, width=160, height=120)
    (root / "videos" / "broken.mp4").write_bytes(b"\0" * 4096)
    lines += [f"videos/frames,{CAPTIONS[3]}", f"videos/broken.mp4,{CAPTIONS[4]}"]
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return root


def test_compress_transcodes_resumes_and_registers(registry, settings, tmp_path, real_clips):
    root = real_captions(tmp_path / "c", real_clips[:3])
    register_dataset(registry, "captions", root, name="cap", fps=10.0)
    prepare_dataset(registry, settings, "cap")
    out = tmp_path / "small"
    (out / "videos").mkdir(parents=True)
    (out / "videos" / ".real0.abc.part.mp4").write_bytes(b"half")  # a killed run's temporary file
    result, dataset = compress_dataset(registry, "cap", out, PARAMS, workers=2)
    assert result.done == 5 and result.kept == 0 and not list(out.rglob(".*part*"))
    assert [p["id"] for p in result.failed] == ["videos/broken.mp4"]
    assert dataset.name == "cap-96p" and dataset.kind == "captions"
    assert dataset.hashes == registry.require_dataset("cap").hashes  # the same annotations
    assert prepared_record(dataset) == prepared_record(registry.require_dataset("cap"))  # so the same phrases
    assert dataset.meta["protocol"]["transcode"] == describe(PARAMS) == "libx264 short side 96, gop 4, crf 23, fastdecode"
    assert {p["id"] for p in dataset.problems} >= {"videos/broken.mp4"}
    from core.report.footnotes import describe_protocol, protocol_key

    footnote = describe_protocol(protocol_key({"split": "train", **dataset.meta["protocol"]}))
    assert "split train (videos transcoded: libx264 short side 96, gop 4, crf 23, fastdecode)" in footnote

    index = load_registered(registry, "cap-96p")
    videos = {s.id: s.video for s in index.split("train")}
    assert videos["videos/real0.mp4"] == "videos/real0.mp4" and videos["videos/frames"] == "videos/frames.mp4"
    assert videos["videos/broken.mp4"] is None  # the failed transcode is missing here
    assert index.video_root == out.resolve()
    frames = open_video(index.video_path(index.split("train")[0])).frames(np.array([0]))
    assert frames.shape == (1, 96, 170, 3)  # 1280x720 -> short side 96
    folder = open_video(out / "videos" / "frames.mp4")
    assert folder.info.num_frames == 20 and folder.info.fps == 10.0  # the frame folder's --fps kept

    again, _ = compress_dataset(registry, "cap", out, PARAMS)  # a second run keeps what is there
    assert again.done == 1 and again.kept == 4  # only the broken one is tried again
    assert not verify_dataset(registry, "cap-96p").ok  # broken.mp4 stays a problem
    with pytest.raises(UserError, match="registered already"):
        compress_dataset(registry, "cap", tmp_path / "x", PARAMS, new_name="cap")


def test_compress_shards_keeps_keys_and_captions(registry, tmp_path, real_clips):
    make_shards(tmp_path / "s", real_clips[1:3], shards=2, per_shard=2, corrupt=("000010001",))
    register_dataset(registry, "webdataset", tmp_path / "s", name="web")
    result, dataset = compress_dataset(registry, "web", tmp_path / "small", PARAMS)
    assert result.done == 2 and [p["id"] for p in result.failed] == ["00001.tar:000010001"]
    assert dataset.kind == "webdataset" and dataset.counts == {"train": 3}
    scan = scan_shard(tmp_path / "small" / "00000.tar")
    assert [(s.key, s.video, s.captions) for s in scan.samples] == [
        ("000000000", "000000000.mp4", (CAPTIONS[0],)), ("000000001", "000000001.mp4", (CAPTIONS[1],))]
    assert dataset.meta["compressed"]["from"] == "web"
