"""Checkpoint files: tamper detection, refusal of arbitrary pickles, RNG round trip."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
import torch

from core.errors import UserError
from core.train import rng
from core.train.checkpoint import check_manifest, write_manifest
from core.train.safe_load import safe_torch_load


class _Exploit:
    """Unpickling this runs code: what a tampered checkpoint could carry."""

    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_tampered_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    _Exploit.marker = marker
    path = tmp_path / "mp_rank_00_model_states.pt"
    with open(path, "wb") as handle:
        pickle.dump({"module": _Exploit()}, handle)
    with pytest.raises(UserError, match="refusing to load checkpoint file"):
        safe_torch_load(path)
    assert not marker.exists()


def test_plain_tensor_files_load(tmp_path):
    path = tmp_path / "ok.pt"
    torch.save({"w": torch.arange(3.0), "step": 4, "name": "x"}, path)
    loaded = safe_torch_load(path)
    assert loaded["step"] == 4 and torch.equal(loaded["w"], torch.arange(3.0))


def test_manifest_detects_changed_missing_and_incomplete_checkpoints(tmp_path):
    folder = tmp_path / "step_0000010"
    folder.mkdir()
    (folder / "a.pt").write_bytes(b"weights")
    (folder / "rng_rank000.json").write_text("{}")
    with pytest.raises(UserError, match="incomplete"):
        check_manifest(folder)  # written before the manifest: an interrupted save
    assert write_manifest(folder, {"step": 10}) == len(b"weights") + 2
    assert check_manifest(folder)["step"] == 10
    (folder / "a.pt").write_bytes(b"weightz")
    with pytest.raises(UserError, match="changed since it was written"):
        check_manifest(folder)
    (folder / "a.pt").unlink()
    with pytest.raises(UserError, match="missing a.pt"):
        check_manifest(folder)


def test_rng_state_round_trips_through_json(tmp_path):
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)
    rng.save(tmp_path / "rng.json", rng.capture())
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(99)
    random.seed(99)
    np.random.seed(99)
    rng.restore(rng.load(tmp_path / "rng.json"))
    again = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(expected[0], again[0]) and expected[1:] == again[1:]
