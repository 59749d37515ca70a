"""Pre-training on WebDataset shards end to end: `data shard` + `data prepare` through the CLI, a run on
shards mixed with a file dataset, SIGKILL + `--resume` giving the uninterrupted run's weights, and
the stream's position in the checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.registry import Registry
from core.settings import Settings
from tests.recipes.test_pretrain_e2e import _only_run, _weights, assert_resumes_to, run_and_kill

pytestmark = pytest.mark.slow

MIXTURE = ["data.datasets=[synth-pretrain-shards,synth-msrvtt]", "data.shuffle_buffer=8"]


@pytest.fixture
def shard_home(synth_home, sviml, tmp_path):
    out = sviml("data", "shard", "synth-pretrain", "--out", str(tmp_path / "shards"), "--shard-size", "8")
    assert out.returncode == 0, out.stderr
    assert "into 5 shards" in out.stdout  # 36 captioned samples of the tiny suite
    for name in ("synth-pretrain-shards", "synth-msrvtt"):
        out = sviml("data", "prepare", name, "--processes", "2")
        assert out.returncode == 0 and f"prepared {name}" in out.stdout, out.stderr
    return synth_home


def test_unprepared_data_is_refused_before_any_work(synth_home, sviml):
    out = sviml("run", "pretrain", "--recipe", "tiny", "data.datasets=[synth-msrvtt]")
    assert out.returncode == 2 and "sviml data prepare synth-msrvtt" in out.stderr, out.stderr
    assert Registry.from_settings(Settings()).list_runs() == []


def test_killed_stream_run_resumes_to_the_uninterrupted_weights(shard_home, sviml, home):
    common = ["--nproc", "2", "train.max_steps=8", "train.save_every=2", "data.num_workers=1", *MIXTURE]
    # The uninterrupted run asks for GPU decoding: without a GPU it falls back to the CPU workers,
    # says so, and trains exactly like the run it is compared with.
    out = sviml("run", "pretrain", "--recipe", "tiny", *common, "data.decoder=gpu", "--name", "straight", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    registry = Registry.from_settings(Settings())
    straight = _only_run(registry, "straight")
    expected = _weights(registry, straight.id)
    log = "".join(path.read_text() for path in (Path(straight.run_dir) / "logs").glob("*.log"))
    assert "streaming" in log and "data.decoder=gpu falls back to decord on the CPU workers: no CUDA device" in log

    killed = run_and_kill(registry, home, [*common, "--name", "killed"], "killed", min_step=4)
    assert registry.get_run(killed.id).step < 8

    assert_resumes_to(sviml, registry, killed.id, 8, expected)
