"""WebDataset shards: shard lists, tar scans, registration, verification, `data shard`, `data prepare`."""

from __future__ import annotations

import json
import tarfile

import numpy as np
import pytest

from core.data.prepare import prepare_dataset, prepared_record
from core.data.registration import load_registered, register_dataset, verify_dataset
from core.data.shards.layout import expand_braces, read_member, resolve_shards, scan_shard, split_key
from core.data.shards.registration import load_shards
from core.data.shards.writer import shard_dataset
from core.data.video import open_video
from core.errors import UserError
from tests.core.data.layouts import CAPTIONS, make_captions, make_shards


def test_brace_patterns_expand_with_their_padding():
    assert expand_braces("d/{00008..00011}.tar") == ["d/00008.tar", "d/00009.tar", "d/00010.tar", "d/00011.tar"]
    assert expand_braces("{a,b}/{1..2}.tar") == ["a/1.tar", "a/2.tar", "b/1.tar", "b/2.tar"]
    assert expand_braces("plain.tar") == ["plain.tar"]
    assert split_key("dir/000010003.mp4") == ("dir/000010003", "mp4")
    assert split_key("000010003.seg.JSON") == ("000010003", "seg.json")


def test_shard_lists_from_a_folder_or_a_pattern(tmp_path, real_clips):
    folder = make_shards(tmp_path / "s", real_clips, shards=3, per_shard=2)
    assert resolve_shards(folder).names == ["00000.tar", "00001.tar", "00002.tar"]
    listed = resolve_shards(f"{folder}/{{00001..00004}}.tar")
    assert listed.names == ["00001.tar", "00002.tar"] and listed.missing == ["00003.tar", "00004.tar"]
    with pytest.raises(UserError, match="matches no shard"):
        resolve_shards(f"{folder}/{{00010..00012}}.tar")
    with pytest.raises(UserError, match="no \\*.tar shard"):
        resolve_shards(tmp_path)


def test_scan_finds_offsets_captions_and_problems(tmp_path, real_clips):
    folder = make_shards(tmp_path / "s", real_clips, shards=1, per_shard=4, caption_less=("000000002",))
    scan = scan_shard(folder / "00000.tar")
    assert [s.key for s in scan.samples] == ["000000000", "000000001", "000000003"]
    assert scan.problems == [("000000002", f"000000002{real_clips[2].suffix} has no caption (.txt or .json 'caption')")]
    first = scan.samples[0]
    assert first.captions == (CAPTIONS[0],)
    data = read_member(folder / "00000.tar", first.offset, first.size)
    assert data == real_clips[0].read_bytes()  # the member's bytes by offset, no tar parsing
    assert open_video(data, name="00000.tar:000000000").frames(np.array([0])).shape == (1, 720, 1280, 3)
    json_only = make_shards(tmp_path / "j", real_clips, shards=1, per_shard=2, json_captions=True)
    assert [s.captions for s in scan_shard(json_only / "00000.tar").samples] == [(CAPTIONS[0],), (CAPTIONS[1],)]


def test_a_cut_shard_keeps_its_complete_members(tmp_path, real_clips):
    folder = make_shards(tmp_path / "s", real_clips, shards=1, per_shard=4)
    data = (folder / "00000.tar").read_bytes()
    (folder / "00000.tar").write_bytes(data[: int(len(data) * 0.8)])
    scan = scan_shard(folder / "00000.tar")
    assert 1 <= len(scan.samples) < 4 and any("truncated" in what for _, what in scan.problems)


def test_register_counts_from_stats_or_a_scan(registry, tmp_path, real_clips):
    with_stats = make_shards(tmp_path / "a", real_clips, shards=3, per_shard=2)
    dataset = register_dataset(registry, "webdataset", with_stats, name="a")
    assert dataset.kind == "webdataset" and dataset.counts == {"train": 6} and dataset.status == "ok"
    assert [row[:2] for row in dataset.meta["shards"]] == [["00000.tar", 2], ["00001.tar", 2], ["00002.tar", 2]]
    assert dataset.meta["count_source"] == "stats" and set(dataset.hashes) == {"shards"}

    scanned = make_shards(tmp_path / "b", real_clips, shards=2, per_shard=3, stats=False, caption_less=("000010001",))
    dataset = register_dataset(registry, "webdataset", f"{scanned}/{{00000..00002}}.tar", name="b")
    assert dataset.counts == {"train": 5} and dataset.meta["count_source"] == "scan"
    found = {(p["problem"], p["id"]) for p in dataset.problems}
    assert found == {("no caption", "00001.tar:000010001"), ("missing", "00002.tar")}


@pytest.mark.parametrize("breakage", ["not a tar", "nothing matches"])
def test_malformed_shards_register_nothing(registry, tmp_path, real_clips, breakage):
    folder = make_shards(tmp_path / "s", real_clips, shards=2, per_shard=2, stats=False)
    if breakage == "not a tar":
        (folder / "00001.tar").write_text("this is not a tar file")
        spec, message = folder, "is not a tar file"
    else:
        spec, message = f"{folder}/{{00005..00009}}.tar", "matches no shard"
    with pytest.raises(UserError, match=message):
        register_dataset(registry, "webdataset", spec)
    assert registry.list_datasets() == []


def test_verify_full_lists_corrupt_and_captionless_members(registry, tmp_path, real_clips):
    folder = make_shards(tmp_path / "s", real_clips[:1] + real_clips[3:], shards=2, per_shard=3,
                         corrupt=("000010001",), caption_less=("000000001",))
    register_dataset(registry, "webdataset", folder, name="s")
    report = verify_dataset(registry, "s", full=True)
    found = {(p["problem"], p["id"]) for p in report.problems}
    assert found == {("unreadable", "00001.tar:000010001"), ("no caption", "00000.tar:000000001")}
    assert report.decoded == 5 and not report.ok

    (folder / "00000.tar").write_bytes((folder / "00000.tar").read_bytes() + b"\0" * 512)  # replaced shard
    assert "annotation changed" in {p["problem"] for p in verify_dataset(registry, "s").problems}
    with pytest.raises(UserError, match="changed since registration"):
        load_shards(registry, "s")
    with pytest.raises(UserError, match="streams in pre-training"):
        load_registered(registry, "s")


def test_data_shard_writes_video2dataset_layout_that_registers_and_prepares(registry, settings, tmp_path):
    root = make_captions(tmp_path / "c", n=5)  # 5 clips + a window of clip0: 6 samples, 5 captions
    register_dataset(registry, "captions", root, name="cap")
    result, dataset = shard_dataset(registry, "cap", tmp_path / "shards", shard_size=4)
    assert result.shards == ["00000.tar", "00001.tar"] and result.samples == 6 and not result.skipped
    assert dataset.name == "cap-shards" and dataset.counts == {"train": 6} and dataset.meta["derived_from"] == "cap"
    with tarfile.open(tmp_path / "shards" / "00000.tar") as archive:
        assert archive.getnames()[:3] == ["000000000.mp4", "000000000.txt", "000000000.json"]
        meta = json.loads(archive.extractfile("000000000.json").read())
    assert meta["caption"] == CAPTIONS[0] and meta["source"] == "videos/clip0.mp4"
    window = [s for s in scan_shard(tmp_path / "shards" / "00001.tar").samples if s.start is not None]
    assert [(s.start, s.end) for s in window] == [(0.5, 1.5)]
    assert json.loads((tmp_path / "shards" / "00001_stats.json").read_text())["successes"] == 2
    with pytest.raises(UserError, match="already holds shards"):
        shard_dataset(registry, "cap", tmp_path / "shards", new_name="again")

    with pytest.raises(UserError, match="not prepared"):
        prepared_record(registry.require_dataset("cap-shards"))
    prepared = prepare_dataset(registry, settings, "cap-shards", processes=2)
    assert prepared.captions == 5 and prepared.extracted == 5
    record = prepared_record(registry.require_dataset("cap-shards"))
    assert record["samples"] == 6 and record["processes"] == 2
    table = json.loads((tmp_path / "home" / "prepared" / "shards").glob("cap-shards-*/00000.tar.json")
                       .__next__().read_text())
    assert table["phrases"][CAPTIONS[0]] == ["a big red square", "a small blue circle"]
    assert prepare_dataset(registry, settings, "cap-shards").extracted == 0  # prepared shards are kept
