"""A team's day on real runs: train quietly, evaluate into TensorBoard, compare, mirror to MLflow, delete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.slow

DEEPSPEED_NOISE = ("Attempting to get learning rate", "built successfully", "Setting accelerator")


def test_train_evaluate_compare_mirror_and_delete(trained_home, sviml, tmp_path):
    first = json.loads(sviml("runs", "ls", "--json").stdout)[0]
    out = sviml("run", "pretrain", "--recipe", "tiny", "--name", "second", "train.lr=5e-4", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    # DeepSpeed's expected warnings are in the run's log, not on the terminal.
    for noise in DEEPSPEED_NOISE:
        assert noise not in out.stdout and noise not in out.stderr, noise
    folder = Path(re.search(r"^run \S+ \(second\): (\S+)$", out.stderr, re.MULTILINE).group(1))
    assert folder.parent == trained_home / "train"
    assert "[DeepSpeed] Attempting to get learning rate" in (folder / "logs" / "train.log").read_text()
    second = folder.name

    out = sviml("eval", "--run", second, "--task", "retrieval_zs", "--json", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    r1 = next(r for r in json.loads(sviml("runs", "show", second, "--json").stdout)["results"]
              if r["metric"] == "t2v_R@1")
    view = EventAccumulator(str(folder / "tb" / "eval"))
    view.Reload()
    [point] = view.Scalars("eval/retrieval_zs/synth-msrvtt/t2v_R@1")
    assert (point.step, round(point.value, 3)) == (6, round(r1["value"], 3))
    assert "_hparams_/session_start_info" in view.PluginTagToContent("hparams")

    out = sviml("runs", "compare", first["id"], second)
    assert out.returncode == 0 and "train.lr" in out.stdout and "train/loss" in out.stdout

    pytest.importorskip("mlflow", reason="the mlflow extra is not installed (pip install -e .[mlflow])")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = sviml("export", "mlflow", "--tracking-uri", uri, timeout=600)
    assert out.returncode == 0 and "2 created, 0 updated" in out.stdout, out.stderr[-2000:]
    out = sviml("export", "mlflow", "--tracking-uri", uri, timeout=600)
    assert out.returncode == 0 and "0 created, 2 updated" in out.stdout, out.stderr[-2000:]

    out = sviml("runs", "rm", second, "--yes")
    assert out.returncode == 0 and not folder.exists(), out.stderr
    assert json.loads(sviml("gc", "--json").stdout) == []  # its caches went with it
