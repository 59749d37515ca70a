"""Golden losses: a 4-step `tiny` pre-training in this process must log exactly these losses.

Any change to the model, the losses, the data pipeline, the seeding or the training step that
changes numerics fails here, loudly, with the step and term that moved. A change that is meant
to move them updates the table below in the same commit and says why.

The values were logged by the recipe (TensorBoard's float32 scalars) on a 2-core x86_64 CPU with
torch 2.13.0, one process, fp32, the tiny synthetic suite (seed 0). Same-machine repeats are
bitwise equal; 1 and 2 intra-op threads agree to 2e-8. The tolerance (1e-5 relative) admits float
rounding from another thread count or CPU, and nothing a real change would produce (a changed
seed, batch, term or weight moves the losses by 1e-3 or more).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.registry import Registry, RunStatus
from core.report.plots.losses import read_scalars
from core.settings import Settings
from recipes.launch import Launcher

pytestmark = pytest.mark.slow

GOLDEN = {
    "train/loss": [4.406203269958496, 4.502352237701416, 4.3000593185424805, 4.378480434417725],
    "train/loss_contrast": [2.2204573154449463, 2.244147300720215, 2.1361889839172363, 2.239798069000244],
    "train/loss_ground": [2.119843006134033, 2.1765198707580566, 2.1007394790649414, 2.0879015922546387],
    "train/loss_temporal": [0.06590283662080765, 0.08168496191501617, 0.06313061714172363, 0.0507807582616806],
}


@pytest.fixture
def in_process_group():
    """Training in this process joins a one-process group and sets the launch variables: undo both,
    so that later tests' subprocesses do not inherit a port this process holds."""
    import torch.distributed

    saved = dict(os.environ)
    yield
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    os.environ.clear()
    os.environ.update(saved)


def test_four_tiny_steps_log_the_golden_losses(synth_home: Path, in_process_group) -> None:
    settings = Settings()
    registry = Registry.from_settings(settings)
    launcher = Launcher(settings, registry)
    run = launcher.create("pretrain", "tiny", {"train.max_steps": 4, "train.log_every": 1, "train.save_every": 4}, 1,
                          name="golden")
    assert launcher.execute(run, show_progress=False) == 0
    finished = registry.require_run(run.id)
    assert finished.status == RunStatus.FINISHED and finished.step == 4

    curves = read_scalars(Path(finished.run_dir) / "tb", list(GOLDEN))
    for tag, expected in GOLDEN.items():
        steps, values = curves[tag]
        assert steps == [1, 2, 3, 4], tag
        for step, got, want in zip(steps, values, expected, strict=True):
            assert got == pytest.approx(want, rel=1e-5, abs=1e-7), f"{tag} at step {step}: {got!r} != {want!r}"
