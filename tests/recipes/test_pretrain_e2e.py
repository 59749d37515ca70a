"""Pre-training end to end with real DeepSpeed over gloo: 1 and 2 processes, ZeRO 2 and 3,
SIGKILL + resume giving the uninterrupted run's weights, and the exported weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from core.registry import Registry
from core.settings import Settings

pytestmark = pytest.mark.slow


def _run(sviml, *args, timeout=900):
    out = sviml("run", "pretrain", "--recipe", "tiny", *args, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def _only_run(registry: Registry, name: str):
    runs = [r for r in registry.list_runs() if r.name == name]
    assert len(runs) == 1
    return runs[0]


def _weights(registry: Registry, run_id: str) -> dict[str, torch.Tensor]:
    export = registry.list_checkpoints(run_id, kind="export", complete_only=True)
    assert len(export) == 1
    return load_file(os.path.join(export[0].path, "model.safetensors"))


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (the CLI, torchrun and every rank) at once."""
    import psutil

    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass


def test_one_process_registers_checkpoints_and_exports_loadable_weights(synth_home, sviml):
    _run(sviml, "--name", "one")
    registry = Registry.from_settings(Settings())
    run = _only_run(registry, "one")
    assert run.status == "finished" and run.step == 6 and run.world_size == 1
    resumable = registry.list_checkpoints(run.id, kind="deepspeed", complete_only=True)
    assert [c.step for c in resumable] == [3, 6]  # save_every 3, keep_last 2
    assert all((os.path.isfile(os.path.join(c.path, "MANIFEST.json"))) for c in resumable)
    run_dir = run.run_dir
    assert os.path.isfile(os.path.join(run_dir, "config.yaml")) and os.path.isfile(os.path.join(run_dir, "ds_config.json"))
    assert os.listdir(os.path.join(run_dir, "tb"))

    # The exported weights load without DeepSpeed and reproduce the trained model's outputs.
    from core.train.export import load_exported

    export_dir = registry.list_checkpoints(run.id, kind="export")[0].path
    model_a = load_exported(export_dir)
    model_b = load_exported(export_dir)
    frames = torch.randint(0, 255, (2, 4, 3, 32, 32), dtype=torch.uint8)
    ids = torch.randint(1000, 2000, (2, 7))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        assert torch.equal(model_a.encode_video(frames).embedding, model_b.encode_video(frames).embedding)
        assert torch.equal(model_a.encode_text(ids, mask), model_b.encode_text(ids, mask))
    config = json.loads(open(os.path.join(export_dir, "config.json")).read())
    assert config["run_id"] == run.id and config["model"]["preset"] == "tiny"


@pytest.mark.parametrize("stage", [2, 3])
def test_two_processes_with_zero(synth_home, sviml, stage):
    _run(sviml, "--nproc", "2", f"train.zero_stage={stage}", "--name", f"zero{stage}")
    registry = Registry.from_settings(Settings())
    run = _only_run(registry, f"zero{stage}")
    assert run.status == "finished" and run.world_size == 2
    checkpoints = registry.list_checkpoints(run.id, kind="deepspeed", complete_only=True)
    assert [c.step for c in checkpoints] == [3, 6]
    files = os.listdir(checkpoints[-1].path)
    assert {"rng_rank000.json", "rng_rank001.json", "MANIFEST.json"} <= set(files)
    assert _weights(registry, run.id)  # consolidated from the shards


def test_killed_run_resumes_to_the_uninterrupted_weights(synth_home, sviml, home):
    common = ["--nproc", "2", "train.max_steps=12", "train.save_every=3", "train.zero_stage=2"]
    _run(sviml, *common, "--name", "straight")
    registry = Registry.from_settings(Settings())
    expected = _weights(registry, _only_run(registry, "straight").id)

    killed = run_and_kill(registry, home, [*common, "--name", "killed"], "killed", min_step=6)
    assert registry.get_run(killed.id).status == "running"  # it never got to record an end
    assert registry.get_run(killed.id).step < 12

    assert_resumes_to(sviml, registry, killed.id, 12, expected)


def assert_resumes_to(sviml, registry: Registry, run_id: str, steps: int, expected: dict[str, torch.Tensor]) -> None:
    """`--resume RUN_ID` on 2 processes finishes the run with exactly the `expected` weights."""
    out = sviml("run", "pretrain", "--recipe", "tiny", "--nproc", "2", "--resume", run_id, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    resumed = registry.get_run(run_id)
    assert resumed.status == "finished" and resumed.step == steps
    got = _weights(registry, run_id)
    assert got.keys() == expected.keys()
    for key in expected:
        assert torch.equal(got[key], expected[key]), key


def run_and_kill(registry: Registry, home, args: list[str], name: str, min_step: int):
    """Start `sviml run pretrain --recipe tiny ARGS` and SIGKILL every one of its processes once a
    checkpoint at `min_step` or later exists; returns the killed run's record."""
    env = dict(os.environ, SVIML_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sviml_cli", "run", "pretrain", "--recipe", "tiny", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 600
    killed = None
    while time.monotonic() < deadline and proc.poll() is None:
        runs = [r for r in registry.list_runs() if r.name == name]
        newest = registry.newest_checkpoint(runs[0].id) if runs else None
        if newest is not None and newest.step >= min_step:
            killed = runs[0]
            _kill_tree(proc.pid)
            break
        time.sleep(0.2)
    proc.wait()
    assert killed is not None, "the run ended before it could be killed"
    return killed


def test_bad_override_exits_2_before_any_work(synth_home, sviml):
    for override in ("train.lr=abc", "model.nope=1"):
        out = sviml("run", "pretrain", "--recipe", "tiny", override)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert Registry.from_settings(Settings()).list_runs() == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("nproc", [1, 2])
def test_ctrl_c_checkpoints_marks_interrupted_and_resumes(synth_home, sviml, home, nproc):
    env = dict(os.environ, SVIML_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sviml_cli", "run", "pretrain", "--recipe", "tiny", "--nproc", str(nproc),
         # Steps enough that the run is still early when Ctrl-C lands, on a loaded CI machine too
         # (40 steps of the tiny model could all pass between the first checkpoint and the signal).
         "train.max_steps=150", "train.save_every=10", "--name", "ctrl-c"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        # A terminal's foreground command has Ctrl-C's default action even when this test runs in a
        # background job, whose shell ignores SIGINT for every process it starts (and an ignored
        # signal stays ignored across exec, so `sviml` would rightly never see it).
        preexec_fn=_default_sigint,
    )
    registry = Registry.from_settings(Settings())
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        runs = [r for r in registry.list_runs() if r.name == "ctrl-c"]
        if runs and registry.newest_checkpoint(runs[0].id) is not None:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
            break
        time.sleep(0.2)
    assert proc.wait(timeout=600) == 130, proc.stderr.read()[-2000:]
    run = _only_run(registry, "ctrl-c")
    assert run.status == "interrupted" and 0 < run.step < 150
    newest = registry.newest_checkpoint(run.id)
    assert newest.step == run.step  # the final checkpoint was written at the stop step

    # `--resume` without an id picks the newest unfinished run of the recipe: this one.
    out = sviml("run", "pretrain", "--nproc", str(nproc), "--resume", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    run = registry.get_run(run.id)
    assert run.status == "finished" and run.step == 150


def test_compiled_towers_train_the_same_model(synth_home, sviml):
    # `train.compile` changes how the towers run, not what they compute or how their weights are named.
    # Gumbel noise off: inductor draws random numbers its own way, which would make the runs differ by design.
    _run(sviml, "model.video.gumbel=false", "--name", "eager")
    _run(sviml, "model.video.gumbel=false", "train.compile=true", "--name", "compiled")
    registry = Registry.from_settings(Settings())
    eager, compiled = (_weights(registry, _only_run(registry, name).id) for name in ("eager", "compiled"))
    assert compiled.keys() == eager.keys()  # no `_orig_mod.` prefixes: exports and resume stay compatible
    # Same initial weights and batches: the losses agree to float rounding while the weights are
    # still the same (step 1), and stay close after it (Adam's normalised steps amplify rounding in
    # near-zero gradients, so later weights differ by a few learning-rate steps, not bit for bit).
    from pathlib import Path

    from core.report.plots.losses import read_scalars

    tags = ["train/loss", "train/loss_contrast", "train/loss_ground", "train/loss_temporal"]
    curves = [read_scalars(Path(_only_run(registry, name).run_dir) / "tb", tags) for name in ("eager", "compiled")]
    assert set(curves[0]) == set(tags)
    for tag in tags:
        assert curves[1][tag][0] == curves[0][tag][0] == list(range(1, 7))
        assert curves[1][tag][1][0] == pytest.approx(curves[0][tag][1][0], rel=1e-4, abs=1e-5), tag
        assert curves[1][tag][1] == pytest.approx(curves[0][tag][1], rel=2e-2, abs=1e-3), tag
    for name, tensor in eager.items():
        torch.testing.assert_close(compiled[name], tensor, rtol=0, atol=1e-2, msg=name)
    assert _only_run(registry, "compiled").config["train"]["compile"] is True


def test_head_recipes_refuse_the_compile_switch(synth_home, sviml):
    out = sviml("run", "train-localizer", "--recipe", "tiny", "train.compile=true")
    assert out.returncode == 2 and "train.compile is a pre-training switch" in out.stderr
