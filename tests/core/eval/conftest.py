"""Fixtures of the evaluator tests: a random tiny model exported as an evaluation target."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch


@pytest.fixture
def one_thread():
    """One intra-op thread: on a busy 2-core machine torch's thread pool makes tiny forwards 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_context(tmp_path: Path, settings):
    """An `EvalContext` over a random tiny model (seed 0) exported to a temporary folder."""
    from core.eval.context import EvalContext, EvalOptions
    from core.eval.target import EvalTarget
    from core.model.factory import create_model
    from core.train.export import write_export

    torch.manual_seed(0)
    model = create_model("tiny")
    export = tmp_path / "export"
    write_export({k: v.contiguous() for k, v in model.state_dict().items()}, {"model": model.cfg.to_dict()}, export)
    run = SimpleNamespace(id="test", run_dir=str(tmp_path / "run"))
    return EvalContext(settings, None, EvalTarget(run, None, export), EvalOptions(batch_size=4, show_progress=False))


@pytest.fixture
def synth_row():
    """`synth_row(root, name, kind)` -> (a registry-like dataset row, its index) for a synthetic part."""
    from core.data.formats import read_index

    def make(root: Path, name: str, kind: str) -> tuple[SimpleNamespace, object]:
        part = root / name
        row = SimpleNamespace(name=name, kind=kind, root=str(part),
                              meta={"synthetic": True, "groundtruth": str(part / "groundtruth")})
        return row, read_index(kind, part)

    return make
