"""Every part's files parse as the real format they imitate, and every referenced video decodes."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import decord
import numpy as np
import pytest

from core.data.synth import MANIFEST, SynthPart, generate_suite
from core.data.synth.parts import PARTS
from core.data.synth.sizes import suite_size

ONE_WORD = re.compile(r"^[a-z]+$")


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text
    return text.splitlines()


def test_parts_come_back_in_suite_order_with_their_kinds(parts: dict[str, Path]) -> None:
    assert sorted(parts) == sorted(name for name, _, _ in PARTS)
    for name, kind, _ in PARTS:
        manifest = _json(parts[name] / MANIFEST)
        assert (manifest["name"], manifest["kind"], manifest["size"], manifest["seed"]) == (name, kind, "tiny", 0)
        assert manifest["version"] and manifest["counts"]["videos"] > 0


def test_pretrain_captions_csv(parts: dict[str, Path]) -> None:
    root = parts["synth-pretrain"]
    with open(root / "captions.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        assert next(reader) == ["video_path", "caption", "start", "end"]
        rows = list(reader)
    info = _json(root / "groundtruth" / "videos.json")
    assert len({r[0] for r in rows}) == len(info) == suite_size("tiny").pretrain_videos
    for path, caption, start, end in rows:
        assert (root / path).is_file() and path.startswith("videos/") and caption
        stem = Path(path).stem
        if start == "" or end == "":
            assert start == end == "" and len(info[stem]["shots"]) == 1
        else:  # a scene of a two-scene video, in seconds, end exclusive
            s, e = float(start), float(end)
            assert 0 <= s < e <= info[stem]["n_frames"] / info[stem]["fps"]
            assert round(s * info[stem]["fps"]) in [0] + info[stem]["cuts"]


def test_msrvtt_files(parts: dict[str, Path]) -> None:
    root = parts["synth-msrvtt"]
    data = _json(root / "MSRVTT_data.json")
    assert {"info", "videos", "sentences"} <= set(data)
    ids = []
    for v in data["videos"]:
        assert set(v) == {"category", "url", "video_id", "start time", "end time", "split", "id"}
        assert v["video_id"] == f"video{v['id']}" and v["split"] in ("train", "validate", "test")
        assert (root / "videos" / "all" / f"{v['video_id']}.mp4").is_file()
        ids.append(v["video_id"])
    captions: dict[str, list[str]] = {}
    for s in data["sentences"]:
        assert set(s) == {"caption", "video_id", "sen_id"}
        captions.setdefault(s["video_id"], []).append(s["caption"])
    assert set(captions) == set(ids) and all(len(c) == suite_size("tiny").msrvtt_captions for c in captions.values())
    assert len({s["sen_id"] for s in data["sentences"]}) == len(data["sentences"])

    train = _lines(root / "MSRVTT_train.9k.csv")
    assert train[0] == "video_id"
    lines = _lines(root / "MSRVTT_JSFUSION_test.csv")
    assert lines[0] == "key,vid_key,video_id,sentence"
    split = {v["video_id"]: v["split"] for v in data["videos"]}
    test = []
    for k, line in enumerate(lines[1:]):
        key, vid_key, video_id, sentence = line.split(",")  # no sentence holds a comma
        assert key == f"ret{k}" and vid_key == "msr" + video_id.removeprefix("video")
        assert sentence in captions[video_id] and split[video_id] == "test"
        test.append(video_id)
    assert len(test) == suite_size("tiny").msrvtt_test
    assert set(train[1:]).isdisjoint(test) and sorted(train[1:] + test) == sorted(ids)


@pytest.mark.parametrize("name, video", [("synth-msrvtt-qa", "videos/all/video{}.mp4"), ("synth-msvd-qa", None)])
def test_qa_files(parts: dict[str, Path], name: str, video: str | None) -> None:
    root = parts[name]
    if video is None:  # MSVD-QA: vid<N> -> clip name through youtube_mapping.txt
        mapping = {}
        for line in _lines(root / "youtube_mapping.txt"):
            m = re.fullmatch(r"([A-Za-z0-9_-]{11})_(\d+)_(\d+) vid(\d+)", line)
            assert m, line
            assert int(m.group(2)) < int(m.group(3))
            mapping[int(m.group(4))] = line.split(" ")[0]
        assert sorted(mapping) == list(range(1, len(mapping) + 1))
        path_of = {n: root / "videos" / f"{clip}.avi" for n, clip in mapping.items()}
    ids, by_video = set(), {}
    for split_file in ("train_qa.json", "val_qa.json", "test_qa.json"):
        rows = _json(root / split_file)
        assert isinstance(rows, list) and rows
        for r in rows:
            assert set(r) == {"video_id", "id", "question", "answer"} and isinstance(r["video_id"], int)
            assert r["question"].endswith("?") and ONE_WORD.match(r["answer"])
            path = root / video.format(r["video_id"]) if video else path_of[r["video_id"]]
            assert path.is_file()
            ids.add(r["id"])
            by_video.setdefault(r["video_id"], set()).add(split_file)
    assert all(len(files) == 1 for files in by_video.values())  # a video belongs to one split
    assert len(ids) == _json(root / MANIFEST)["counts"]["questions"]


def test_msrvtt_qa_splits_follow_msrvtt(parts: dict[str, Path]) -> None:
    split = {v["id"]: v["split"] for v in _json(parts["synth-msrvtt"] / "MSRVTT_data.json")["videos"]}
    for split_file, want in (("train_qa.json", "train"), ("val_qa.json", "validate"), ("test_qa.json", "test")):
        assert {split[r["video_id"]] for r in _json(parts["synth-msrvtt-qa"] / split_file)} == {want}
    a = parts["synth-msrvtt"] / "videos" / "all" / "video0.mp4"
    b = parts["synth-msrvtt-qa"] / "videos" / "all" / "video0.mp4"
    assert a.read_bytes() == b.read_bytes()


def test_ucf_lists(parts: dict[str, Path]) -> None:
    root = parts["synth-ucf"]
    lists = root / "ucfTrainTestlist"
    classes = {}
    for k, line in enumerate(_lines(lists / "classInd.txt"), 1):
        index, name = line.split(" ")
        assert int(index) == k and re.fullmatch(r"[A-Z][A-Za-z]+", name)
        classes[name] = k
    pattern = re.compile(r"([A-Za-z]+)/v_([A-Za-z]+)_g(\d\d)_c(\d\d)\.avi")
    for split in (1, 2, 3):
        train_groups, test_groups = set(), set()
        for line in _lines(lists / f"trainlist0{split}.txt"):
            path, label = line.split(" ")
            m = pattern.fullmatch(path)
            assert m and m.group(1) == m.group(2) and classes[m.group(1)] == int(label)
            assert (root / "UCF-101" / path).is_file()
            train_groups.add(int(m.group(3)))
        for line in _lines(lists / f"testlist0{split}.txt"):
            m = pattern.fullmatch(line)
            assert m and m.group(1) in classes and (root / "UCF-101" / line).is_file()
            test_groups.add(int(m.group(3)))
        assert train_groups and test_groups and train_groups.isdisjoint(test_groups)
        assert test_groups <= set(range(7 * split - 6, 7 * split + 1))


def test_hmdb_split_files(parts: dict[str, Path]) -> None:
    root = parts["synth-hmdb"]
    classes = sorted(p.name for p in (root / "hmdb51").iterdir())
    assert classes and all(re.fullmatch(r"[a-z]+(_[a-z]+)*", c) for c in classes)
    for cls in classes:
        videos = sorted(p.name for p in (root / "hmdb51" / cls).iterdir())
        for split in (1, 2, 3):
            lines = _lines(root / "testTrainMulti_7030_splits" / f"{cls}_test_split{split}.txt")
            names, ids = zip(*(line.split(" ") for line in lines), strict=True)
            assert sorted(names) == videos and set(ids) <= {"0", "1", "2"} and {"1", "2"} <= set(ids)
            assert all(f"_{cls}_" in n for n in names)


def test_activitynet_json(parts: dict[str, Path]) -> None:
    root = parts["synth-anet"]
    data = _json(root / "activity_net.v1-3.min.json")
    assert data["version"] == "VERSION 1.3"
    nodes = {n["nodeId"]: n for n in data["taxonomy"]}
    assert all(set(n) == {"nodeId", "nodeName", "parentId", "parentName"} for n in nodes.values())
    parents = {n["parentId"] for n in nodes.values()}
    leaves = {n["nodeName"] for i, n in nodes.items() if i not in parents}
    subsets = set()
    for vid, v in data["database"].items():
        assert set(v) == {"subset", "duration", "resolution", "url", "annotations"}
        assert re.fullmatch(r"[A-Za-z0-9_-]{11}", vid) and v["url"].endswith(vid)
        assert (root / "videos" / f"v_{vid}.mp4").is_file()
        assert 20 <= v["duration"] <= 60
        subsets.add(v["subset"])
        if v["subset"] == "testing":
            assert v["annotations"] == []
        for a in v["annotations"]:
            s, e = a["segment"]
            assert 0 <= s < e <= v["duration"] and a["label"] in leaves
    assert subsets == {"training", "validation", "testing"}


def test_every_video_decodes_to_64px_frames(parts: dict[str, Path]) -> None:
    decoded = 0
    for root in parts.values():
        for stem, info in _json(root / "groundtruth" / "videos.json").items():
            path = root / info["path"]
            head = path.read_bytes()[:12]
            if path.suffix == ".avi":
                assert head[:4] == b"RIFF" and head[8:12] == b"AVI "
            else:
                assert head[4:8] == b"ftyp"
            vr = decord.VideoReader(str(path))
            assert len(vr) == info["n_frames"] and abs(vr.get_avg_fps() - info["fps"]) < 1e-6, stem
            frames = vr.get_batch(list(range(len(vr)))).asnumpy()
            assert frames.shape == (info["n_frames"], 64, 64, 3) and frames.dtype == np.uint8
            decoded += 1
    assert decoded > 150


def test_generation_refuses_to_clobber_and_reports_progress(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    parts = generate_suite(tmp_path, "tiny", seed=3, workers=1, progress=lambda *a: calls.append(a))
    assert [p.name for p in parts] == [name for name, _, _ in PARTS]
    assert all(isinstance(p, SynthPart) and p.root == tmp_path / p.name for p in parts)
    assert [c[0] for c in calls[:7]] == [p.name for p in parts] and all(c[1] == 0 for c in calls[:7])
    for p in parts:
        last = [c for c in calls if c[0] == p.name][-1]
        assert last[1] == last[2] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # staging removed
    with pytest.raises(FileExistsError):
        generate_suite(tmp_path, "tiny", seed=3, workers=1)
    (tmp_path / "synth-ucf" / MANIFEST).unlink()  # no longer a generated part: never deleted
    with pytest.raises(FileExistsError):
        generate_suite(tmp_path, "tiny", seed=3, workers=1, overwrite=True)


def test_an_interrupted_generation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data.synth import suite

    calls = {"n": 0}
    real = suite._job

    def flaky(job):
        calls["n"] += 1
        if calls["n"] == 20:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(suite, "_job", flaky)
    with pytest.raises(KeyboardInterrupt):
        generate_suite(tmp_path / "out", "tiny", seed=0, workers=1)
    assert list((tmp_path / "out").iterdir()) == []
    # A killed run cannot clean up: the next generation removes its staging folder (its pid is gone).
    stale = tmp_path / "out" / f"{suite.STAGING}999999999-abc"
    stale.mkdir()
    mine = tmp_path / "out" / f"{suite.STAGING}{os.getpid()}-abc"  # a live process: left alone
    mine.mkdir()
    suite._remove_stale_staging(tmp_path / "out")
    assert not stale.exists() and mine.exists()


def test_bad_arguments_fail_early(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="size"):
        generate_suite(tmp_path, "huge")
    with pytest.raises(ValueError, match="seed"):
        generate_suite(tmp_path, "tiny", seed=-1)
    assert not any(tmp_path.iterdir())


def test_workers_fork_when_the_main_script_cannot_be_reimported(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from core.data.synth import suite

    monkeypatch.setattr(sys.modules["__main__"], "__file__", "<stdin>", raising=False)
    assert suite._context().get_start_method() == "fork"
    monkeypatch.setattr(sys.modules["__main__"], "__file__", __file__)
    assert suite._context().get_start_method() == "spawn"


def test_any_registration_of_a_generated_part_is_marked_synthetic(parts: dict[str, Path], registry) -> None:
    """A generated part registered by hand (here synth-msrvtt as its 9k-holdout variant) carries the
    suite's meta, so the synthetic-only evaluations (grounding, fg/bg) run on it; a real-format
    folder without the manifest does not."""
    from core.data.registration import register_dataset

    held = register_dataset(registry, "msrvtt", parts["synth-msrvtt"], name="holdout", split="9k-holdout")
    assert held.meta["synthetic"] is True and (held.meta["size"], held.meta["seed"]) == ("tiny", 0)
    assert Path(held.meta["groundtruth"]) == parts["synth-msrvtt"] / "groundtruth"
    assert "held-out slice" in held.meta["protocol"]["split_variant"]
    override = register_dataset(registry, "msrvtt", parts["synth-msrvtt"], name="o", meta={"seed": 7})
    assert override.meta["seed"] == 7 and override.meta["synthetic"] is True  # given meta wins
    from core.data.synth.suite import part_meta

    assert part_meta(parts["synth-msrvtt"] / "groundtruth") is None  # no manifest: not a part
