"""The annotation variants people download: MSR-VTT's 9k / 7k / full / JSON splits, the QA files of
VINDLU and LAVIS with their answer lists, UCF101 and HMDB51 splits 1-3 (and their average in reports)."""

from __future__ import annotations

import json

import pytest

from core.data.formats import read_index
from core.data.registration import load_registered, register_dataset
from core.errors import UserError
from core.heads.vocab import VocabRule, answer_vocabulary
from core.report.footnotes import describe_protocol, protocol_key
from core.report.split_average import average_splits
from tests.core.data.layouts import CAPTIONS, make_hmdb, make_msrvtt, make_msrvtt_variants, make_ucf
from tests.core.data.media import write_video


def ids(samples) -> list[str]:
    return [s.id for s in samples]


def test_msrvtt_splits_and_their_protocol(tmp_path):
    root = make_msrvtt_variants(tmp_path / "m")
    nine = read_index("msrvtt", root)  # the first present: VINDLU's 9k JSON, 1k-A from the CSV
    assert nine.protocol == {"split_variant": "MSR-VTT 9k train, 1k-A test"}
    assert ids(nine.split("train")) == ["video0", "video1", "video2", "video3", "video4"]
    assert nine.split("train")[0].captions == (CAPTIONS[0], CAPTIONS[1])  # a caption list, one sample per video
    assert ids(nine.split("test")) == ["video7", "video8"]

    seven = read_index("msrvtt", root, split="7k")
    assert ids(seven.split("train")) == ["video0", "video1", "video2", "video3"]
    assert len(seven.split("train")[0].captions) == 2  # from MSRVTT_data.json
    assert seven.protocol["split_variant"] == "MSR-VTT 7k train, 1k-A test"

    full = read_index("msrvtt", root, split="full")
    assert {k: len(v) for k, v in full.splits.items()} == {"train": 6, "val": 1, "test": 3}
    assert ids(full.split("test")) == ["video7", "video8", "video9"] and len(full.split("test")[0].captions) == 2
    assert "6,513 train / 497 val / 2,990 test" in full.protocol["split_variant"]

    (root / "MSRVTT_JSFUSION_test.csv").unlink()  # then the 1k-A test comes from VINDLU's JSON
    assert ids(read_index("msrvtt", root).split("test")) == ["video7", "video8", "video9"]
    with pytest.raises(UserError, match="--split lavis needs retrieval_test.json"):
        read_index("msrvtt", root, split="lavis")
    with pytest.raises(UserError, match="must be one of 9k, 7k, full, lavis"):
        read_index("msrvtt", root, split="8k")


def test_msrvtt_9k_holdout_slice_for_choosing_settings(tmp_path):
    """`9k-holdout`: 40% of a small 9k train split (every k-th video, its first caption) becomes
    `test`, the rest stays `train`; disjoint, nothing lost, and never the 1k-A videos."""
    root = make_msrvtt_variants(tmp_path / "m")
    nine = read_index("msrvtt", root)
    held = read_index("msrvtt", root, split="9k-holdout")
    assert ids(held.split("test")) == ["video0", "video2"]  # 5 train videos -> 2 held out: positions 0 and 5 // 2
    assert held.split("test")[0].captions == (CAPTIONS[0],)  # one caption per video, as in 1k-A
    assert ids(held.split("train")) == ["video1", "video3", "video4"]
    assert held.split("train")[0].captions == nine.split("train")[1].captions  # the rest keep every caption
    assert not set(ids(held.split("test"))) & set(ids(nine.split("test")))
    assert "held-out slice" in held.protocol["split_variant"]


def test_lavis_retrieval_files(tmp_path):
    root = tmp_path / "l"
    for split, videos in (("train", [0, 1, 2]), ("test", [3, 4])):
        records = [{"video": f"video{i}.mp4", "caption": CAPTIONS[i]} for i in videos]
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        (root / "annotations" / f"retrieval_{split}.json").write_text(json.dumps(records))
    for i in range(5):
        write_video(root / "videos" / f"video{i}.mp4")
    index = read_index("msrvtt", root)
    assert index.counts() == {"train": 3, "test": 2} and all(s.video for s in index.split("test"))
    assert index.protocol["split_variant"] == "LAVIS retrieval_{train,val,test}.json"


def test_the_split_variant_reaches_the_registry_and_the_footnote(registry, tmp_path):
    dataset = register_dataset(registry, "msrvtt", make_msrvtt_variants(tmp_path / "m"), split="full")
    assert dataset.meta["split"] == "full" and dataset.counts == {"train": 6, "val": 1, "test": 3}
    assert load_registered(registry, "msrvtt").counts() == dataset.counts
    protocol = {"frames": 8, "views": 1, "split": "test", "head": "zero-shot", **dataset.meta["protocol"]}
    assert "split test (MSR-VTT official split" in describe_protocol(protocol_key(protocol))
    plain = register_dataset(registry, "msrvtt", make_msrvtt(tmp_path / "p"), name="plain")
    assert plain.meta["protocol"] == {"split_variant": "MSR-VTT 9k train, 1k-A test"}
    with pytest.raises(UserError, match="--split does not apply"):
        register_dataset(registry, "activitynet", tmp_path, split="2")


@pytest.mark.parametrize("layout", ["VINDLU", "LAVIS"])
def test_qa_files_of_vindlu_and_lavis(tmp_path, layout):
    root = tmp_path / "qa"
    root.mkdir()
    name = "msrvtt_qa_{}.json" if layout == "VINDLU" else "qa_{}.json"
    for split, videos in (("train", [0, 1, 2]), ("val", [1]), ("test", [2, 3])):
        records = [{"video": f"video{i}.mp4", "question": f"what is object {i}?", "question_id": 10 * n + i,
                    "answer": ["red", "red", "blue"] if i == 2 else "square"} for n, i in enumerate(videos)]
        (root / name.format(split)).write_text(json.dumps(records))
    if layout == "VINDLU":
        (root / "msrvtt_qa_answer_list.json").write_text(json.dumps(["square", "red", "blue"]))
    else:
        (root / "train_ans2label.json").write_text(json.dumps({"red": 1, "square": 0}))
    for i in range(4):
        write_video(root / "videos" / "all" / f"video{i}.mp4")
    index = read_index("msrvtt-qa", root)
    assert index.counts() == {"train": 3, "val": 1, "test": 2}
    test = index.split("test")
    assert [(s.video_id, s.answer, s.id) for s in test] == [("video2", "red", "2"), ("video3", "square", "13")]
    assert test[0].video == "videos/all/video2.mp4"
    expected = ["square", "red", "blue"] if layout == "VINDLU" else ["square", "red"]
    assert index.answers == expected and index.protocol["split_variant"] == f"{layout} QA files"
    assert answer_vocabulary(index.split("train"), VocabRule(top_k=1), index.answers) == expected


def test_msvd_qa_json_names_its_videos_without_a_mapping(tmp_path):
    root = tmp_path / "msvd"
    root.mkdir()
    for split in ("train", "test"):
        records = [{"video": "-4wsuPCjDBc_5_15.avi", "question": "what moves?", "answer": "circle"}]
        (root / f"msvd_qa_{split}.json").write_text(json.dumps(records))
    write_video(root / "YouTubeClips" / "-4wsuPCjDBc_5_15.avi")
    index = read_index("msvd-qa", root)
    sample = index.split("test")[0]
    assert sample.video_id == "-4wsuPCjDBc_5_15" and sample.video == "YouTubeClips/-4wsuPCjDBc_5_15.avi"
    assert index.answers is None and [p.name for p in index.annotation_files] == ["msvd_qa_train.json",
                                                                                 "msvd_qa_test.json"]


def test_action_splits_one_to_three(tmp_path):
    ucf = make_ucf(tmp_path / "ucf")
    one, two = read_index("ucf101", ucf), read_index("ucf101", ucf, split="2")
    assert all("_g01_" in s.id for s in one.split("test"))
    assert all("_g08_" in s.id for s in two.split("test")) and len(two.split("train")) == 6
    assert two.protocol == {"split_variant": "split 2", "split_number": 2}
    hmdb = make_hmdb(tmp_path / "hmdb")
    assert read_index("hmdb51", hmdb).counts() == {"train": 6, "test": 3}
    three = read_index("hmdb51", hmdb, split="3")
    assert three.counts() == {"train": 6, "test": 3} and three.annotation_files[0].name.endswith("split3.txt")
    with pytest.raises(UserError, match="1, 2, 3 or all"):
        read_index("ucf101", ucf, split="4")


def result(run: str, number: int, value: float, dataset: str = "ucf") -> dict:
    return {"id": number, "run_id": run, "task": "action_linear", "dataset": f"{dataset}-split{number}",
            "split": "test", "metric": "top1", "value": value, "n": 10,
            "protocol": {"split_group": dataset, "split_number": number, "split_variant": f"split {number}"}}


def test_report_averages_complete_groups_of_three_splits():
    rows = [result("a", 1, 60.0), result("a", 2, 63.0), result("a", 3, 66.0), result("b", 1, 50.0),
            {"id": 9, "run_id": "a", "task": "qa", "dataset": "msrvtt-qa", "split": "test", "metric": "acc",
             "value": 40.0, "protocol": {}}]
    out = average_splits(rows)
    mean = [r for r in out if r["dataset"] == "ucf (splits 1-3)"]
    assert len(mean) == 1 and mean[0]["value"] == pytest.approx(63.0) and mean[0]["run_id"] == "a"
    assert mean[0]["protocol"]["split_values"] == [60.0, 63.0, 66.0] and mean[0]["n"] == 30
    assert "mean of splits 1-3" in describe_protocol(protocol_key(mean[0]["protocol"], "test"))
    # Run b has one split only: it keeps its per-split row; other tasks pass through.
    assert sorted(r["dataset"] for r in out) == ["msrvtt-qa", "ucf (splits 1-3)", "ucf-split1"]
