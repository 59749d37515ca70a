"""Paper-scale fidelity end to end on the tiny synthetic suite: a pre-training run whose towers start from
a 2D ViT and a BERT (folders written by `transformers`), what it records, a self-contained export, refusals
with exit code 2, and the two-stage TAL protocol scored above chance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.registry import Registry
from core.settings import Settings
from tests.core.model.pretrained_helpers import save_bert, save_vit

pytestmark = pytest.mark.slow


def test_pretraining_from_a_2d_vit_and_a_bert_records_them_and_exports_self_contained(synth_home, sviml, tmp_path):
    sources = tmp_path / "sources"
    save_vit(sources / "vit")
    save_bert(sources / "bert")
    out = sviml("run", "pretrain", "--recipe", "tiny", f"model.video.pretrained={sources / 'vit'}",
                f"model.text.pretrained={sources / 'bert'}", "train.max_steps=3", "train.save_every=3",
                "train.micro_batch_size=4", "--name", "from-vit", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    # Batch 8 as 2 micro batches of 4: each contrastive loss sees 4 clips, and the run says so at start.
    assert "warning: gradient accumulation x2 shrinks the contrastive negatives: each loss contrasts 4 clips" in out.stderr
    registry = Registry.from_settings(Settings())
    run = next(r for r in registry.list_runs(recipe="pretrain") if r.name == "from-vit")
    shown = sviml("runs", "show", run.id, "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    video, text = record["tags"]["init"]["video"], record["tags"]["init"]["text"]
    assert video["source"] == str(sources / "vit") and video["format"] == "transformers"
    assert (video["loaded"], video["inflated"], video["interpolated"]) == (29, 1, 0) and video["new"] > 0
    assert len(video["sha256"]["model.safetensors"]) == 64
    assert text["format"] == "bert" and text["loaded"] > 0 and text["new"] == 1
    assert record["tags"]["negatives"] == 4  # micro batch 4 x 1 process
    saved = record["config"]["model"]
    assert saved["video"]["width"] == 32 and saved["video"]["norm_eps"] == 1e-12  # the checkpoint's, not tiny's
    assert saved["text"]["tokenizer"] == str(sources / "bert")

    export = Path(registry.list_checkpoints(run.id, kind="export")[0].path)
    assert (export / "text" / "config.json").is_file() and (export / "text" / "tokenizer.json").is_file()
    moved = tmp_path / "moved-export"
    shutil.copytree(export, moved)
    shutil.rmtree(sources)  # evaluation never reads them again
    out = sviml("eval", "--checkpoint", str(moved), "--task", "retrieval_zs", "--json", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [r for r in registry.query_results() if r["protocol"].get("checkpoint") == str(moved)]
    assert rows and rows[0]["protocol"]["negatives"] == 4
    assert rows[0]["protocol"]["init"].startswith(f"init [choice: the paper names none]: video from {sources / 'vit'} (transformers, average")

    report = sviml("report", "--runs", rows[0]["run_id"], "--format", "md", timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    assert "4 negatives per contrastive loss" in report.stdout and "video from" in report.stdout


def test_bad_pretrained_sources_exit_2_with_one_line_and_register_nothing(synth_home, sviml, tmp_path):
    import torch
    from safetensors.torch import save_file

    save_file({"encoder.weight": torch.zeros(2, 2)}, str(tmp_path / "nothing.safetensors"))
    save_bert(tmp_path / "bert")
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nred\n")
    cases = [
        (f"model.video.pretrained={tmp_path / 'nothing.safetensors'}", "no ViT tensors"),
        (f"model.video.pretrained={tmp_path / 'missing'}", "no such file or folder"),
        ("model.video.pretrained=someone/not-cached-vit", "offline"),
        (f"model.text.tokenizer={tmp_path / 'vocab'}", "model.text.tokenizer="),
    ]
    for override, message in cases:
        out = sviml("run", "pretrain", "--recipe", "tiny", override, timeout=300)
        assert out.returncode == 2, (override, out.stderr[-2000:])
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (override, out.stderr)
    assert Registry.from_settings(Settings()).list_runs() == []


def _seen_copy(anet: Path, folder: Path) -> Path:
    """The tiny synthetic ActivityNet with its training videos copied into the validation subset.

    The tiny suite has one validation video (three actions of three classes), too few for any score
    but luck: this copy evaluates the localizer on the videos it was trained on, which shows that the
    two-stage pipeline (proposals, video-level classes, fusion, scoring) finds the actions, not that
    it generalises (the small suite's figures in docs/ablation.md do that).
    """
    spec = json.loads((anet / "activity_net.v1-3.min.json").read_text())
    (folder / "videos").mkdir(parents=True)
    database = {}
    for vid, entry in spec["database"].items():
        if entry["subset"] != "training":
            continue
        for new_id, subset in ((vid, "training"), (f"seen{vid}", "validation")):
            database[new_id] = {**entry, "subset": subset}
            shutil.copy(anet / "videos" / f"v_{vid}.mp4", folder / "videos" / f"v_{new_id}.mp4")
    (folder / "activity_net.v1-3.min.json").write_text(json.dumps({**spec, "database": database}))
    return folder


def test_two_stage_tal_is_scored_reported_and_above_chance(trained_home, synth_tiny_root, sviml, tmp_path):
    seen = _seen_copy(synth_tiny_root / "synth-anet", tmp_path / "anet-seen")
    for args in (("data", "rm", "synth-anet"), ("data", "add", "activitynet", "--root", str(seen), "--name", "anet-seen")):
        out = sviml(*args)
        assert out.returncode == 0, out.stderr[-2000:]
    out = sviml("run", "train-localizer", "--recipe", "tiny", "data.dataset=anet-seen", "head.mode=agnostic",
                "train.max_steps=150", "train.warmup_steps=10", "train.save_every=150", "train.log_every=50",
                "--name", "two-stage", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    out = sviml("eval", "--task", "tal", "--views", "1", "--json", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    registry = Registry.from_settings(Settings())
    rows = {r["metric"]: r for r in registry.query_results() if r["task"] == "tal"}
    protocol = rows["avg_mAP"]["protocol"]
    assert protocol["tal_mode"] == "agnostic" and "two-stage" in protocol["head"]
    assert registry.get_run(protocol["head_run"]).name == "two-stage"
    for metric in ("avg_mAP", "mAP@0.50"):
        assert rows[metric]["value"] > rows[metric]["protocol"]["chance"], (metric, rows[metric])
    report = sviml("report", "--runs", rows["avg_mAP"]["run_id"], "--tasks", "tal", "--format", "md", timeout=300)
    assert report.returncode == 0 and "two-stage" in report.stdout, report.stderr[-2000:]
