"""Each reader on small datasets in the real formats, with the layout variants they accept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.data.formats import READERS, read_index
from core.errors import UserError
from tests.core.data.layouts import (
    HMDB_CLASSES,
    UCF_CLASSES,
    make_anet,
    make_anet_captions,
    make_captions,
    make_hmdb,
    make_msrvtt,
    make_msrvtt_qa,
    make_msvd_qa,
    make_ucf,
    make_videocc,
    make_webvid,
)
from tests.core.data.media import write_video


def test_readers_table_is_read_only_and_complete():
    assert set(READERS) == {"msrvtt", "msrvtt-qa", "msvd-qa", "ucf101", "hmdb51", "activitynet",
                            "activitynet-captions", "videocc", "webvid", "captions"}
    with pytest.raises(TypeError):
        READERS["x"] = None  # type: ignore[index]


@pytest.mark.parametrize("semicolon", [False, True])
def test_msrvtt_train_9k_and_test_1k_a(tmp_path, semicolon):
    index = read_index("msrvtt", make_msrvtt(tmp_path / "m", semicolon=semicolon))
    assert index.counts() == {"train": 3, "test": 2}
    train = index.split("train")
    assert train[0].id == "video0" and train[0].video == "videos/all/video0.mp4"
    assert len(train[0].captions) == 2
    test = index.split("test")
    assert [s.video_id for s in test] == ["video7", "video8"]
    assert test[0].captions == ("a big red square moves left while a small blue circle spins",)
    assert len(index.hashes()) == 3 and all(len(h) == 64 for h in index.hashes().values())
    assert any("1k-A" in note for note in index.notes)


def test_msrvtt_video_layout_variants(tmp_path):
    root = make_msrvtt(tmp_path / "m", videos="TrainValVideo", test_ids=())
    (root / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,video_id,sentence\nret0,msr9,video9,a, b and c\n")
    write_video(root / "TestVideo" / "video9.avi")  # listed as .mp4, found as .avi
    index = read_index("msrvtt", root)
    assert index.split("train")[0].video == "TrainValVideo/video0.mp4"
    assert index.split("test")[0].video == "TestVideo/video9.avi"
    assert index.split("test")[0].captions == ("a, b and c",)  # unquoted commas stay in the sentence

    nested = make_msrvtt(tmp_path / "n", videos="MSRVTT/videos/all")
    assert read_index("msrvtt", nested).split("test")[0].video == "MSRVTT/videos/all/video7.mp4"


def test_msrvtt_missing_video_is_reported_not_fatal(tmp_path):
    root = make_msrvtt(tmp_path / "m")
    (root / "videos" / "all" / "video8.mp4").unlink()
    sample = read_index("msrvtt", root).split("test")[1]
    assert sample.video is None and sample.listed == "videos/all/video8.mp4"


def test_msrvtt_qa_default_and_given_videos(tmp_path):
    index = read_index("msrvtt-qa", make_msrvtt_qa(tmp_path / "qa"))
    assert index.counts() == {"train": 3, "val": 1, "test": 2}
    first = index.split("test")[0]
    assert first.video_id == "video2" and first.video == "videos/all/video2.mp4"
    assert first.question.startswith("what colour") and first.answer == "square"

    outside = tmp_path / "msrvtt-videos" / "all"
    index = read_index("msrvtt-qa", make_msrvtt_qa(tmp_path / "qa2", videos=outside), videos=outside.parent)
    assert index.video_root == outside.parent.resolve()
    assert index.split("train")[0].video == "all/video0.mp4"


def test_msvd_qa_through_the_mapping(tmp_path):
    index = read_index("msvd-qa", make_msvd_qa(tmp_path / "msvd"))
    sample = index.split("train")[0]
    assert sample.video_id == "vid1" and sample.video == "videos/-4wsuPCjDBc_5_15.avi"
    shipped = read_index("msvd-qa", make_msvd_qa(tmp_path / "msvd2", videos="YouTubeClips"))
    assert shipped.split("test")[0].video == "YouTubeClips/xyz_3_9.avi"


def test_ucf101_split_1(tmp_path):
    root = make_ucf(tmp_path / "ucf")
    moved = root / "UCF-101" / "YoYo" / "v_YoYo_g01_c01.avi"
    write_video(moved.with_suffix(".mp4"))
    moved.unlink()  # listed as .avi, found as .mp4
    index = read_index("ucf101", root)
    assert index.classes == UCF_CLASSES
    assert index.counts() == {"train": 6, "test": 3}
    assert [s.label for s in index.split("test")] == [0, 1, 2]
    assert index.split("test")[2].video == "UCF-101/YoYo/v_YoYo_g01_c01.mp4"


def test_ucf101_label_disagreeing_with_folder(tmp_path):
    root = make_ucf(tmp_path / "ucf")
    path = root / "ucfTrainTestlist" / "trainlist01.txt"
    path.write_text(path.read_text().replace(".avi 1", ".avi 3", 1))
    with pytest.raises(UserError, match="disagrees"):
        read_index("ucf101", root)


def test_hmdb51_split_1(tmp_path):
    index = read_index("hmdb51", make_hmdb(tmp_path / "hmdb"))
    assert index.classes == HMDB_CLASSES
    assert index.counts() == {"train": 6, "test": 3}
    sample = index.split("test")[0]
    assert sample.label == 0 and sample.video == "hmdb51/brush_hair/brush_hair_clip2_u_nm_np1_fr_goo_0.avi"
    assert len(index.annotation_files) == 3  # only the split-1 files


@pytest.mark.parametrize(("prefix", "ext"), [("v_", ".mp4"), ("", ".mp4"), ("v_", ".mkv")])
def test_activitynet_names_and_extensions(tmp_path, prefix, ext):
    index = read_index("activitynet", make_anet(tmp_path / "anet", prefix=prefix, ext=ext))
    assert index.counts() == {"train": 1, "val": 1, "test": 1}
    assert index.classes == ["Bouncing", "Spinning"]
    val = index.split("val")[0]
    assert val.video == f"videos/{prefix}vidB{ext}" and val.duration == 6.0
    assert [(s.start, s.end, s.label_name, s.label) for s in val.segments] == [
        (1.0, 2.0, "Bouncing", 0), (3.0, 5.5, "Spinning", 1)]


def test_activitynet_captions(tmp_path):
    index = read_index("activitynet-captions", make_anet_captions(tmp_path / "anc"))
    assert index.counts() == {"train": 2, "val_1": 1}
    first, second = index.split("train")
    assert (first.id, first.start, first.end) == ("v_vidA#0", 0.0, 2.0)
    assert second.video == "videos/v_vidA.mp4" and second.captions[0].startswith("a green triangle")


def test_videocc_url_rule_and_windows(tmp_path):
    index = read_index("videocc", make_videocc(tmp_path / "vcc"))
    cut, whole = index.split("train")
    assert cut.id == "AAAAAAAAAAA_0_2000000" and cut.captions == ("a red square, spinning", "a spinning square")
    assert cut.video == "videos/AAAAAAAAAAA_0_2000000.mp4" and cut.start is None
    assert whole.video == "videos/clip_b.mp4" and (whole.start, whole.end) == (0.5, 1.5)


def test_webvid_page_dir_and_url_basename(tmp_path):
    index = read_index("webvid", make_webvid(tmp_path / "wv"))
    assert index.counts() == {"train": 2, "val": 1}
    a, b = index.split("train")
    assert a.video == "videos/000001_000050/1001.mp4" and a.captions == ("a red square spins",)
    assert b.video == "videos/stock-1002.mp4" and b.captions == ("a green star, growing",)
    assert index.split("val")[0].video == "videos/1003.mp4"


def test_captions_csv_windows_and_grouping(tmp_path):
    root = make_captions(tmp_path / "cap")
    with open(root / "captions.csv", "a") as out:
        out.write("videos/clip1.mp4,a second caption,,\n")
    index = read_index("captions", root)
    samples = index.split("train")
    assert len(samples) == 5
    assert samples[1].captions == ("a green triangle bounces on a striped background", "a second caption")
    windowed = samples[-1]
    assert windowed.id == "videos/clip0.mp4@0.5-1.5" and (windowed.start, windowed.end) == (0.5, 1.5)


@pytest.mark.parametrize("path", ["../outside.mp4", "videos/../../outside.mp4", "/etc/passwd", "C:/x.mp4"])
def test_path_escaping_the_root_is_refused(tmp_path, path):
    root = make_captions(tmp_path / "cap", n=1, windows=False)
    (root / "captions.csv").write_text(f"video_path,caption\n{path},a caption\n")
    with pytest.raises(UserError, match="escapes the dataset root|is absolute"):
        read_index("captions", root)


def test_inner_dotdot_that_stays_inside_is_fine(tmp_path):
    root = make_captions(tmp_path / "cap", n=1, windows=False)
    (root / "captions.csv").write_text("video_path,caption\nvideos/x/../clip0.mp4,a caption\n")
    assert read_index("captions", root).split("train")[0].video == "videos/clip0.mp4"


# A file corrupted in one way per case: (maker, kind, file, content, message).
MALFORMED = [
    (make_ucf, "ucf101", "ucfTrainTestlist/testlist01.txt", "../../etc/passwd\n", "escapes"),
    (make_anet, "activitynet", "activity_net.v1-3.min.json", '{"database": {"a": ', "not valid JSON"),
    (make_msrvtt_qa, "msrvtt-qa", "test_qa.json", json.dumps([{"video_id": 1, "id": 0, "question": "q?"}]),
     "has no 'answer' field"),
    (make_msrvtt, "msrvtt", "MSRVTT_JSFUSION_test.csv", "key,vid_key,video\nret0,msr7,video7\n",
     "missing column 'video_id', 'sentence'"),
]


@pytest.mark.parametrize(("make", "kind", "name", "content", "message"), MALFORMED,
                         ids=["ucf-list-escapes", "malformed-json", "missing-json-field", "missing-csv-column"])
def test_malformed_annotations_are_one_clear_user_error(tmp_path, make, kind, name, content, message):
    root = make(tmp_path / kind)
    (root / name).write_text(content)
    with pytest.raises(UserError, match=message):
        read_index(kind, root)


def test_missing_annotation_file_says_where_it_looked(tmp_path):
    root = make_msrvtt(tmp_path / "m")
    (root / "MSRVTT_JSFUSION_test.csv").unlink()
    with pytest.raises(UserError, match=r"MSRVTT_JSFUSION_test.csv not found .* docs/datasets.md"):
        read_index("msrvtt", root)


def test_unknown_kind_and_bad_root(tmp_path):
    with pytest.raises(UserError, match="unknown dataset kind 'kinetics'"):
        read_index("kinetics", tmp_path)
    with pytest.raises(UserError, match="is not a folder"):
        read_index("msrvtt", tmp_path / "nope")


def test_annotation_dir_variant(tmp_path):
    root = make_msrvtt(tmp_path / "m")
    (root / "msrvtt_data").mkdir()
    for name in ("MSRVTT_data.json", "MSRVTT_train.9k.csv", "MSRVTT_JSFUSION_test.csv"):
        shutil.move(root / name, root / "msrvtt_data" / name)
    index = read_index("msrvtt", root)
    assert index.counts() == {"train": 3, "test": 2}
    assert set(index.hashes()) == {"msrvtt_data/MSRVTT_JSFUSION_test.csv", "msrvtt_data/MSRVTT_train.9k.csv",
                                   "msrvtt_data/MSRVTT_data.json"}


def test_symlinked_videos_folder_is_accepted(tmp_path):
    elsewhere = make_msrvtt(tmp_path / "msrvtt")
    root = make_msrvtt_qa(tmp_path / "qa", videos=tmp_path / "unused")
    (root / "videos").mkdir()
    (root / "videos" / "all").symlink_to(elsewhere / "videos" / "all")
    index = read_index("msrvtt-qa", root)
    assert index.split("train")[0].video == "videos/all/video0.mp4"
    assert Path(index.video_path(index.split("train")[0])).is_file()


def test_url_key_rule():
    from core.data.formats.urls import url_key

    assert url_key("https://www.youtube.com/watch?v=abcDEF12345&t=3") == "abcDEF12345"
    assert url_key("https://youtu.be/abcDEF12345") == "abcDEF12345"
    assert url_key("https://www.youtube.com/shorts/abcDEF12345") == "abcDEF12345"
    assert url_key("https://ak.picdn.net/shutterstock/videos/1/preview/stock-footage-sunset.mp4") == \
        "stock-footage-sunset"
    assert url_key("") == ""
