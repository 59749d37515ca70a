"""Registration and verification against a real SQLite registry."""

from __future__ import annotations

import json

import pytest

from core.data.registration import load_registered, register_dataset, verify_dataset
from core.errors import UserError
from tests.core.data.layouts import MSRVTT_BREAKAGES, break_msrvtt, make_anet, make_msrvtt, make_msrvtt_qa
from tests.core.data.media import truncate


def test_register_records_counts_hashes_coverage(registry, tmp_path):
    root = make_msrvtt(tmp_path / "m")
    (root / "videos" / "all" / "video8.mp4").unlink()
    dataset = register_dataset(registry, "msrvtt", root, name="msrvtt-local", meta={"note": "x"})
    assert dataset.name == "msrvtt-local" and dataset.kind == "msrvtt" and dataset.root == str(root.resolve())
    assert dataset.counts == {"train": 3, "test": 2}
    assert set(dataset.hashes) == {"MSRVTT_JSFUSION_test.csv", "MSRVTT_train.9k.csv", "MSRVTT_data.json"}
    assert dataset.status == "problems"
    assert dataset.problems == [{"problem": "missing", "id": "video8", "path": "videos/all/video8.mp4",
                                 "detail": "", "splits": ["test"]}]
    assert dataset.meta["coverage"]["test"] == {"samples": 2, "videos": 2, "found": 1}
    assert dataset.meta["note"] == "x" and dataset.verified_at is not None
    assert registry.get_dataset("msrvtt-local").counts == dataset.counts


def test_register_finds_an_unreadable_sample(registry, tmp_path):
    root = make_anet(tmp_path / "a")
    truncate(root / "videos" / "v_vidA.mp4", 0.4)
    dataset = register_dataset(registry, "activitynet", root)
    assert [p["problem"] for p in dataset.problems] == ["unreadable"]
    assert dataset.problems[0]["id"] == "vidA"
    assert dataset.meta["coverage"]["train"]["found"] == 0


@pytest.mark.parametrize("breakage", MSRVTT_BREAKAGES)
def test_malformed_annotations_register_nothing(registry, tmp_path, breakage):
    root = make_msrvtt(tmp_path / "m")
    break_msrvtt(root, breakage)
    with pytest.raises(UserError):
        register_dataset(registry, "msrvtt", root)
    assert registry.list_datasets() == []


def test_unknown_kind(registry, tmp_path):
    with pytest.raises(UserError, match="unknown dataset kind"):
        register_dataset(registry, "kinetics", tmp_path)
    assert registry.list_datasets() == []


def test_verify_full_and_annotation_change(registry, tmp_path):
    root = make_msrvtt(tmp_path / "m")
    register_dataset(registry, "msrvtt", root)
    assert verify_dataset(registry, "msrvtt", full=True).ok

    truncate(root / "videos" / "all" / "video1.mp4", 0.5)
    (root / "videos" / "all" / "video7.mp4").unlink()
    report = verify_dataset(registry, "msrvtt", full=True)
    found = {(p["problem"], p["id"], p["path"]) for p in report.problems}
    assert found == {("unreadable", "video1", "videos/all/video1.mp4"), ("missing", "video7", "videos/all/video7.mp4")}
    assert report.decoded == 4 and report.videos == 5
    stored = registry.get_dataset("msrvtt")
    assert stored.status == "problems" and len(stored.problems) == 2

    path = root / "MSRVTT_data.json"
    data = json.loads(path.read_text())
    data["sentences"][0]["caption"] = "edited"
    path.write_text(json.dumps(data))
    report = verify_dataset(registry, "msrvtt")
    assert ("annotation changed", "MSRVTT_data.json") in {(p["problem"], p["id"]) for p in report.problems}
    with pytest.raises(UserError, match="changed since registration"):
        load_registered(registry, "msrvtt")
    assert load_registered(registry, "msrvtt", check_hashes=False).counts() == {"train": 3, "test": 2}


def test_qa_with_a_videos_folder_is_remembered(registry, tmp_path):
    outside = tmp_path / "msrvtt-videos"
    root = make_msrvtt_qa(tmp_path / "qa", videos=outside)
    dataset = register_dataset(registry, "msrvtt-qa", root, videos=outside)
    assert dataset.status == "ok" and dataset.meta["videos"] == str(outside.resolve())
    assert verify_dataset(registry, "msrvtt-qa").ok
    assert load_registered(registry, "msrvtt-qa").video_root == outside.resolve()
