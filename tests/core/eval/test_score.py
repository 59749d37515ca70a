"""Offline scorers: results as plain JSON-ready dicts, and one-line UserErrors naming the bad file."""

import json

import numpy as np
import pytest

from core.errors import UserError
from core.eval.score import score_action_files, score_retrieval_file, score_tal_files

TAL_KEYS = ["0.50", "0.55", "0.60", "0.65", "0.70", "0.75", "0.80", "0.85", "0.90", "0.95"]


def save(path, array):
    np.save(path, array)
    return path


def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


def gt_json():
    return {
        "version": "VERSION 1.3",
        "taxonomy": [],
        "database": {
            "v1": {
                "subset": "validation",
                "duration": 30.0,
                "annotations": [{"label": "A", "segment": [0, 10]}],
            },
            "v2": {
                "subset": "validation",
                "duration": 30.0,
                "annotations": [{"label": "B", "segment": [5, 9]}],
            },
        },
    }


def pred_json(results=None):
    results = results or {"v1": [{"label": "A", "score": 0.9, "segment": [0, 10]}]}
    return {"version": "VERSION 1.3", "results": results, "external_data": {"used": False, "details": ""}}


def assert_user_error(fn, path, message):
    with pytest.raises(UserError) as err:
        fn()
    text = str(err.value)
    assert str(path) in text, text
    assert message in text, text
    assert "\n" not in text


# ---------------------------------------------------------------- retrieval


def test_retrieval_file(tmp_path):
    sim = np.eye(4, dtype=np.float32)
    sim[3] = [0.0, 0.0, 2.0, 1.0]  # text 3 ranks its video second
    out = score_retrieval_file(save(tmp_path / "sim.npy", sim))
    assert set(out) == {"t2v", "v2t"} and list(out["t2v"]) == ["R@1", "R@5", "R@10", "MdR", "MnR"]
    assert out["t2v"]["R@1"] == 75.0 and out["t2v"]["MnR"] == 1.25
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros(3), "expected a 2-D texts x videos matrix"),
        (np.zeros((2, 3)), "square"),
        (np.zeros((0, 0)), "square"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "infinite"),
        (np.array([["a", "b"], ["c", "d"]]), "expected numbers"),
        (np.ones((2, 2), dtype=bool), "expected numbers"),
    ],
)
def test_retrieval_file_rejects_bad_arrays(tmp_path, array, message):
    path = save(tmp_path / "sim.npy", array)
    assert_user_error(lambda: score_retrieval_file(path), path, message)


def test_retrieval_file_rejects_bad_files(tmp_path):
    missing = tmp_path / "missing.npy"
    assert_user_error(lambda: score_retrieval_file(missing), missing, "no such file")
    assert_user_error(lambda: score_retrieval_file(tmp_path), tmp_path, "not a file")
    text = tmp_path / "sim.txt"
    text.write_text("1 2\n3 4\n")
    assert_user_error(lambda: score_retrieval_file(text), text, "not a valid .npy array file")
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    assert_user_error(lambda: score_retrieval_file(empty), empty, "not a valid .npy array file")
    truncated = tmp_path / "truncated.npy"
    truncated.write_bytes(save(tmp_path / "full.npy", np.eye(50)).read_bytes()[:300])
    assert_user_error(lambda: score_retrieval_file(truncated), truncated, "not a valid .npy array file")
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert_user_error(lambda: score_retrieval_file(pickled), pickled, "not a valid .npy array file")
    archive = tmp_path / "sim.npz"
    np.savez(archive, sim=np.eye(2))
    assert_user_error(lambda: score_retrieval_file(archive), archive, ".npz archive")


# ---------------------------------------------------------------- action


def test_action_files(tmp_path):
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    out = score_action_files(save(tmp_path / "l.npy", logits), save(tmp_path / "y.npy", np.array([0, 1, 0])))
    # row 1 misses (class 2 ranks first), row 2 ties everywhere (class 0 wins); class 0: 2/2, class 1: 0/1
    assert out == {"top1": pytest.approx(200 / 3), "top5": 100.0, "mean_class_acc": 50.0}
    assert json.loads(json.dumps(out)) == out
    views = np.stack([logits, logits + 1.0], axis=1)  # [N, 2, C]: averaged before scoring
    out_views = score_action_files(save(tmp_path / "v.npy", views), tmp_path / "y.npy")
    assert out_views == out


@pytest.mark.parametrize(
    ("logits", "labels", "bad", "message"),
    [
        (np.zeros((2, 3)), np.array([0]), "labels", "1 labels for 2 videos"),
        (np.zeros((2, 3)), np.array([0, 3]), "labels", "outside [0, 3) (first: 3 at index 1)"),
        (np.zeros((2, 3)), np.array([-1, 0]), "labels", "outside [0, 3)"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), "labels", "labels must be integers"),
        (np.zeros((2, 3)), np.zeros((2, 1), dtype=int), "labels", "expected labels [N]"),
        (np.zeros(3), np.array([0]), "logits", "expected non-empty logits"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "logits", "expected non-empty logits"),
        (np.array([[np.nan, 0.0]]), np.array([0]), "logits", "NaN"),
    ],
)
def test_action_files_reject_bad_input(tmp_path, logits, labels, bad, message):
    paths = {"logits": save(tmp_path / "l.npy", logits), "labels": save(tmp_path / "y.npy", labels)}
    assert_user_error(lambda: score_action_files(paths["logits"], paths["labels"]), paths[bad], message)


# ---------------------------------------------------------------- TAL


def test_tal_files(tmp_path):
    gt = write_json(tmp_path / "gt.json", gt_json())
    pred = write_json(tmp_path / "pred.json", pred_json())
    out = score_tal_files(gt, pred)
    assert set(out) == {"mAP", "average_mAP"} and list(out["mAP"]) == TAL_KEYS
    assert out["average_mAP"] == 50.0  # class A found, class B has no predictions
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize(
    ("gt", "pred", "subset", "bad", "message"),
    [
        ("{not json", pred_json(), "validation", "gt", "not valid JSON"),
        ([1, 2], pred_json(), "validation", "gt", 'no "database"'),
        (gt_json(), gt_json(), "validation", "pred", 'no "results"'),
        (pred_json(), pred_json(), "validation", "gt", 'no "database"'),
        (gt_json(), pred_json(), "val", "gt", "no videos in subset 'val'"),
        (
            {
                "database": {
                    "v1": {"subset": "validation", "annotations": [{"label": "A", "segment": [3, 1]}]}
                }
            },
            pred_json(),
            "validation",
            "gt",
            "database['v1'].annotations[0].segment: end 1 < start 3",
        ),
        (
            {"database": {"v1": {"subset": "validation", "annotations": [{"label": "A"}]}}},
            pred_json(),
            "validation",
            "gt",
            "segment must be a list",
        ),
        (
            gt_json(),
            pred_json({"v1": [{"label": "A", "score": "high", "segment": [0, 1]}]}),
            "validation",
            "pred",
            "results['v1'][0].score must be a finite number",
        ),
        (
            gt_json(),
            pred_json({"v1": [{"label": "A", "score": 1, "segment": ["a", 1]}]}),
            "validation",
            "pred",
            "two finite numbers",
        ),
        (
            gt_json(),
            pred_json({"v1": [{"label": "A", "score": 1, "segment": [4, 1]}]}),
            "validation",
            "pred",
            "end 1 < start 4",
        ),
        (gt_json(), pred_json({"v1": [{"label": "A", "segment": [0, 1]}]}), "validation", "pred", "score"),
    ],
)
def test_tal_files_reject_bad_input(tmp_path, gt, pred, subset, bad, message):
    paths = {"gt": tmp_path / "gt.json", "pred": tmp_path / "pred.json"}
    for key, data in (("gt", gt), ("pred", pred)):
        paths[key].write_text(data if isinstance(data, str) else json.dumps(data))
    assert_user_error(lambda: score_tal_files(paths["gt"], paths["pred"], subset), paths[bad], message)


def test_tal_files_missing_or_binary(tmp_path):
    pred = write_json(tmp_path / "pred.json", pred_json())
    missing = tmp_path / "nope.json"
    assert_user_error(lambda: score_tal_files(missing, pred), missing, "no such file")
    binary = tmp_path / "gt.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert_user_error(lambda: score_tal_files(binary, pred), binary, "not valid JSON")
