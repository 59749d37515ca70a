"""`sviml eval score ...`: the offline scorers from the command line, and their bad-input errors."""

from __future__ import annotations

import json

import numpy as np


def test_score_retrieval_json(sviml, tmp_path):
    # Text 0 finds video 0 first; text 1 ranks video 1 second; text 2 ties everything (pessimistic: rank 3).
    sim = np.array([[0.9, 0.1, 0.2], [0.8, 0.5, 0.1], [0.3, 0.3, 0.3]], dtype=np.float32)
    np.save(tmp_path / "s.npy", sim)
    out = sviml("eval", "score", "retrieval", "--sim", str(tmp_path / "s.npy"), "--json")
    assert out.returncode == 0, out.stderr
    t2v = json.loads(out.stdout)["t2v"]
    assert abs(t2v["R@1"] - 100 / 3) < 1e-9 and t2v["MdR"] == 2 and t2v["MnR"] == 2


def test_score_action_table(sviml, tmp_path):
    np.save(tmp_path / "l.npy", np.array([[2.0, 1.0], [0.0, 3.0]], dtype=np.float32))
    np.save(tmp_path / "y.npy", np.array([0, 0]))
    out = sviml("eval", "score", "action", "--logits", str(tmp_path / "l.npy"), "--labels", str(tmp_path / "y.npy"))
    assert out.returncode == 0, out.stderr
    assert "top1" in out.stdout and "50.00" in out.stdout


def test_score_tal_json(sviml, tmp_path):
    gt = {"version": "VERSION 1.3", "taxonomy": [], "database": {
        "a": {"subset": "validation", "duration": 10.0, "annotations": [{"segment": [1.0, 5.0], "label": "Jump"}]}}}
    pred = {"version": "VERSION 1.3", "results": {"a": [{"label": "Jump", "score": 0.9, "segment": [1.0, 5.0]}]},
            "external_data": {"used": False, "details": ""}}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    out = sviml("eval", "score", "tal", "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "pred.json"), "--json")
    assert out.returncode == 0, out.stderr
    scores = json.loads(out.stdout)
    assert scores["average_mAP"] == 100.0 and set(scores["mAP"]) == {f"{t:.2f}" for t in np.linspace(0.5, 0.95, 10)}


def test_malformed_inputs_give_one_line_and_exit_2(sviml, tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    (tmp_path / "bad.json").write_text("{")
    np.save(tmp_path / "rect.npy", np.zeros((2, 3), dtype=np.float32))
    for args in (
        ("retrieval", "--sim", str(tmp_path / "bad.npy")),
        ("retrieval", "--sim", str(tmp_path / "rect.npy")),
        ("retrieval", "--sim", str(tmp_path / "missing.npy")),
        ("tal", "--gt", str(tmp_path / "bad.json"), "--pred", str(tmp_path / "bad.json")),
    ):
        out = sviml("eval", "score", *args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
