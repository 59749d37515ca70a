"""`sviml data add / verify / show`: registration from the CLI, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from sviml_cli.main import main
from tests.core.data.layouts import MSRVTT_BREAKAGES, break_msrvtt, make_msrvtt, make_msrvtt_qa
from tests.core.data.media import truncate


@pytest.fixture
def cli(home, capsys):
    """In-process `sviml ARGS` -> (exit code, stdout, stderr): the same entry point, without a process start."""

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def one_line_error(code: int, err: str) -> str:
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line.startswith("sviml: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def registered(cli) -> list[str]:
    code, out, _ = cli("data", "ls", "--json")
    assert code == 0
    return [d["name"] for d in json.loads(out)]


def test_add_show_verify_end_to_end(sviml, tmp_path):
    root = make_msrvtt(tmp_path / "msrvtt")
    out = sviml("data", "add", "msrvtt", "--root", str(root), "--json")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)  # progress bars went to stderr: stdout is clean JSON
    assert record["name"] == "msrvtt" and record["counts"] == {"train": 3, "test": 2} and record["status"] == "ok"

    ok = sviml("data", "verify", "msrvtt", "--full")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    truncate(root / "videos" / "all" / "video1.mp4", 0.5)
    (root / "videos" / "all" / "video8.mp4").unlink()
    bad = sviml("data", "verify", "msrvtt", "--full")
    assert bad.returncode == 1
    assert "unreadable  video1  videos/all/video1.mp4" in bad.stdout
    assert "missing  video8  videos/all/video8.mp4" in bad.stdout
    shown = sviml("data", "show", "msrvtt")
    assert shown.returncode == 0 and "coverage" in shown.stdout and "video8" in shown.stdout


def test_verify_json_and_annotation_change(cli, tmp_path):
    root = make_msrvtt(tmp_path / "m")
    assert cli("data", "add", "msrvtt", "--root", str(root), "--name", "mine")[0] == 0
    (root / "MSRVTT_train.9k.csv").write_text("video_id\nvideo0\n")
    code, out, _ = cli("data", "verify", "mine", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert [p["problem"] for p in report["problems"]] == ["annotation changed"]


@pytest.mark.parametrize("breakage", MSRVTT_BREAKAGES)
def test_bad_annotations_exit_2_and_register_nothing(cli, tmp_path, breakage):
    root = make_msrvtt(tmp_path / "m")
    break_msrvtt(root, breakage)
    code, _, err = cli("data", "add", "msrvtt", "--root", str(root))
    line = one_line_error(code, err)
    expected = {"malformed json": "not valid JSON", "missing column": "missing column 'video_id'",
                "empty": "list no sample", "escape": "escapes the dataset root"}[breakage]
    assert expected in line
    assert registered(cli) == []


def test_unknown_kind(cli, tmp_path):
    line = one_line_error(*cli("data", "add", "kinetics", "--root", str(tmp_path))[::2])
    assert "unknown dataset kind 'kinetics'" in line
    assert registered(cli) == []


def test_add_without_root_says_where_to_get_it(cli, tmp_path, monkeypatch):
    line = one_line_error(*cli("data", "add", "ucf101")[::2])
    assert "SVIML_DATA is not set" in line and "crcv.ucf.edu" in line and "docs/datasets.md" in line
    monkeypatch.setenv("SVIML_DATA", str(tmp_path / "data"))
    line = one_line_error(*cli("data", "add", "msrvtt")[::2])
    assert f"{tmp_path / 'data' / 'msrvtt'} does not exist" in line
    make_msrvtt(tmp_path / "data" / "msrvtt")
    code, out, _ = cli("data", "add", "msrvtt")
    assert code == 0 and "registered msrvtt (msrvtt): train=3 test=2; videos 5/5 found" in out


def test_qa_with_videos_elsewhere(cli, tmp_path):
    videos = tmp_path / "msrvtt-videos"
    root = make_msrvtt_qa(tmp_path / "qa", videos=videos)
    code, out, _ = cli("data", "add", "msrvtt-qa", "--root", str(root), "--videos", str(videos), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["status"] == "ok" and record["meta"]["videos"] == str(videos.resolve())
    code, out, _ = cli("data", "add", "msrvtt-qa", "--root", str(root), "--name", "qa-missing")
    assert code == 0 and "4 problems" in out


def test_synth_generates_and_registers_seven_parts(cli, tmp_path):
    try:
        from core.data.synth import generate_suite  # noqa: F401
    except ImportError:
        pytest.skip("core.data.synth.generate_suite is not in this checkout")

    root = tmp_path / "synth"
    code, out, err = cli("data", "add", "synth", "--size", "tiny", "--seed", "3", "--root", str(root), "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["name"] for r in records] == ["synth-pretrain", "synth-msrvtt", "synth-msrvtt-qa", "synth-msvd-qa",
                                            "synth-ucf", "synth-hmdb", "synth-anet"]
    for record in records:
        assert record["status"] == "ok", record["problems"]
        assert record["meta"]["synthetic"] is True and record["meta"]["size"] == "tiny"
        assert record["meta"]["seed"] == 3 and record["meta"]["groundtruth"].endswith("/groundtruth")
    code, out, _ = cli("data", "add", "synth", "--size", "tiny", "--seed", "3", "--root", str(root))
    assert code == 0 and out.count("registered synth-") == 7  # the earlier generation is reused


def test_webdataset_from_a_pattern_and_its_bad_input(cli, tmp_path, real_clips):
    from tests.core.data.layouts import make_shards

    folder = make_shards(tmp_path / "shards", real_clips[2:], shards=3, per_shard=2, corrupt=("000010001",))
    code, out, _ = cli("data", "add", "webdataset", "--root", f"{folder}/{{00000..00002}}.tar", "--name", "web")
    assert code == 0 and "registered web (webdataset): train=6" in out
    assert "sviml data prepare web" in out  # the next step is offered
    code, out, _ = cli("data", "verify", "web", "--full")
    assert code == 1 and "unreadable  00001.tar:000010001" in out

    message = one_line_error(*cli("data", "add", "webdataset", "--root", f"{folder}/{{00007..00009}}.tar")[::2])
    assert "matches no shard" in message
    (folder / "00003.tar").write_text("not a tar")
    message = one_line_error(*cli("data", "add", "webdataset", "--root", str(folder), "--name", "bad")[::2])
    assert "00003.tar is not a tar file" in message
    assert registered(cli) == ["web"]


def test_action_splits_all_registers_three(cli, tmp_path):
    from tests.core.data.layouts import make_ucf

    root = make_ucf(tmp_path / "ucf")
    code, out, _ = cli("data", "add", "ucf101", "--root", str(root), "--split", "all")
    assert code == 0, out
    assert registered(cli) == ["ucf101-split1", "ucf101-split2", "ucf101-split3"]
    code, out, _ = cli("data", "show", "ucf101-split2", "--json")
    protocol = json.loads(out)["meta"]["protocol"]
    assert protocol == {"split_group": "ucf101", "split_variant": "split 2", "split_number": 2}
    message = one_line_error(*cli("data", "add", "msrvtt", "--root", str(root), "--split", "all")[::2])
    assert "--split all applies to ucf101 and hmdb51" in message
