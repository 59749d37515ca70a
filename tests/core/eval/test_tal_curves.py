"""TAL precision-recall curves use the AP's matching (per-class AP from it equals `tal_map`'s), pooled
over classes; the chance level is the mAP of random detections."""

from __future__ import annotations

import numpy as np
import pytest

from core.metrics.activitynet import parse_ground_truth, parse_predictions
from core.metrics.tal import tal_map
from core.metrics.tal_curves import chance_map, class_ap, pooled_pr, random_submission, true_positives

CLASSES = ["a", "b", "c"]


def _random_files(seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    database, results = {}, {}
    for v in range(8):
        duration = float(rng.uniform(20, 60))
        anns = []
        for _ in range(rng.integers(1, 4)):
            s = float(rng.uniform(0, duration - 5))
            anns.append({"segment": [s, s + float(rng.uniform(1, 5))], "label": CLASSES[rng.integers(3)]})
        database[f"v{v}"] = {"subset": "validation", "duration": duration, "annotations": anns}
        preds = []
        for _ in range(rng.integers(3, 12)):
            s = float(rng.uniform(0, duration - 5))
            # Quantised scores: ties exercise the stable order.
            preds.append({"segment": [s, s + float(rng.uniform(1, 6))], "label": CLASSES[rng.integers(3)],
                          "score": float(rng.integers(0, 5)) / 4})
        results[f"v{v}"] = preds
    results["elsewhere"] = [{"segment": [0.0, 1.0], "label": "a", "score": 1.0}]  # a video outside the subset
    return {"database": database}, {"results": results}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_class_ap_from_the_matching_equals_tal_map(seed: int) -> None:
    ground_truth, prediction = _random_files(seed)
    official = tal_map(ground_truth, prediction)
    gt = parse_ground_truth(ground_truth)
    pred = parse_predictions(prediction, gt)
    for threshold in (0.5, 0.75, 0.95):
        tp = true_positives(gt, pred, threshold)
        for k, name in enumerate(gt.classes):
            assert class_ap(gt, pred, tp, k) * 100 == pytest.approx(
                official["per_class"][name]["AP"][f"{threshold:.2f}"], abs=1e-9)


def test_pooled_curves() -> None:
    ground_truth, prediction = _random_files(0)
    gt = parse_ground_truth(ground_truth)
    curves = pooled_pr(gt, parse_predictions(prediction, gt), [0.5, 0.95])
    assert set(curves) == {"0.50", "0.95"}
    recall = np.array(curves["0.50"]["recall"])
    precision = np.array(curves["0.50"]["precision"])
    assert len(recall) == len(precision) > 0 and (np.diff(recall) >= 0).all()
    assert ((0 <= precision) & (precision <= 1)).all() and recall[-1] <= 1
    assert curves["0.95"]["recall"][-1] <= curves["0.50"]["recall"][-1]


def test_chance_is_random_detections_map() -> None:
    ground_truth, _ = _random_files(1)
    durations = {vid: entry["duration"] for vid, entry in ground_truth["database"].items()}
    random = random_submission(durations, {v: 5 for v in durations}, CLASSES, seed=0)
    assert all(len(r) == 5 for r in random["results"].values())
    chance = chance_map(ground_truth, "validation", durations, {v: 20 for v in durations}, CLASSES)
    assert set(chance) == {f"mAP@{t / 100:.2f}" for t in range(50, 100, 5)} | {"avg_mAP"}
    assert all(0 <= v <= 100 for v in chance.values())
    assert chance["mAP@0.50"] >= chance["mAP@0.95"]
