"""`sviml eval --all` end to end on the tiny synthetic suite with a tiny checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.registry import Registry
from core.settings import Settings

pytestmark = pytest.mark.slow


def test_eval_all_records_results_protocols_and_details(trained_home, sviml):
    out = sviml("eval", "--all", "--views", "2", "--json", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout)
    registry = Registry.from_settings(Settings())
    run = registry.list_runs(recipe="pretrain")[0]  # the head runs `eval --all` trained are newer
    assert summary["run_id"] == run.id
    statuses = {(t["task"], t["dataset"]): t["status"] for t in summary["tasks"]}
    assert statuses[("retrieval_zs", "synth-msrvtt")] == "ok"
    assert statuses[("action_linear", "synth-ucf")] == "ok"
    assert statuses[("action_linear", "synth-hmdb")] == "ok"

    rows = registry.query_results(run_ids=[run.id])
    by_key = {(r["task"], r["dataset"], r["metric"]): r for r in rows}
    r1 = by_key[("retrieval_zs", "synth-msrvtt", "t2v_R@1")]
    assert 0 <= r1["value"] <= 100 and r1["protocol"]["head"] == "zero-shot"
    assert r1["protocol"]["dataset_kind"] == "msrvtt" and r1["protocol"]["annotation_hash"]
    assert r1["protocol"]["chance"] > 0 and r1["checkpoint_id"] is not None
    top1 = by_key[("action_linear", "synth-ucf", "top1")]
    assert top1["protocol"]["views"] == 2 and top1["protocol"]["probe_features"] == "ordered"  # synthetic: auto

    details = json.loads((Path(run.run_dir) / "eval" / "retrieval_zs.json").read_text())
    entry = details["datasets"]["synth-msrvtt"]
    assert len(entry["details"]["ranks_t2v"]) == entry["n"]

    # A second evaluation replaces the first instead of adding rows; features come from the cache.
    again = sviml("eval", "--task", "retrieval_zs", "--json", timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(registry.query_results(run_ids=[run.id])) == len(rows)


def test_absent_dataset_is_skipped_and_unknown_task_is_refused(trained_home, sviml):
    only = sviml("eval", "--task", "action_linear", "--dataset", "synth-ucf", "--json", timeout=900)
    assert only.returncode == 0, only.stderr[-3000:]
    assert [(t["dataset"], t["status"]) for t in json.loads(only.stdout)["tasks"]] == [("synth-ucf", "ok")]
    unknown = sviml("eval", "--task", "action_linear", "--dataset", "nope")
    assert unknown.returncode == 2 and "no registered dataset 'nope'" in unknown.stderr
    assert sviml("data", "rm", "synth-ucf").returncode == 0
    out = sviml("eval", "--task", "action_linear", "--json", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    tasks = json.loads(out.stdout)["tasks"]
    assert [t["dataset"] for t in tasks if t["status"] == "ok"] == ["synth-hmdb"]
    bad = sviml("eval", "--task", "nope")
    assert bad.returncode == 2 and "unknown task" in bad.stderr


def test_eval_without_a_finished_run_is_a_user_error(synth_home, sviml):
    out = sviml("eval", "--all")
    assert out.returncode == 2 and "no finished pretrain run" in out.stderr


def test_a_failing_dataset_is_recorded_and_the_others_go_on(trained_home, synth_tiny_root, sviml, tmp_path):
    import shutil

    copy = tmp_path / "msrvtt-copy"
    shutil.copytree(synth_tiny_root / "synth-msrvtt", copy)
    assert sviml("data", "add", "msrvtt", "--root", str(copy), "--name", "copy-msrvtt").returncode == 0
    (copy / "MSRVTT_JSFUSION_test.csv").write_text("key,vid_key,video_id,sentence\n")  # changed after registration
    out = sviml("eval", "--task", "retrieval_zs", "--json", timeout=900)
    assert out.returncode == 1, out.stderr[-3000:]
    statuses = {t["dataset"]: (t["status"], t["message"]) for t in json.loads(out.stdout)["tasks"]}
    assert statuses["synth-msrvtt"][0] == "ok"
    assert statuses["copy-msrvtt"][0] == "failed" and "changed since registration" in statuses["copy-msrvtt"][1]
