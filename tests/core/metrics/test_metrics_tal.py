"""ActivityNet detection mAP: hand-computed cases for every matching rule, and a loop reference."""

import numpy as np
import pytest

from core.metrics.tal import tal_map, threshold_key
from tests.reference.metric_loops import loop_tal_ap

KEYS = ["0.50", "0.55", "0.60", "0.65", "0.70", "0.75", "0.80", "0.85", "0.90", "0.95"]


def gt_file(videos, subset="validation", other=None):
    """videos: {video_id: [(label, start, end)]}; other: {video_id: (subset, [(label, start, end)])}."""
    database = {
        vid: {
            "subset": subset,
            "duration": 100.0,
            "annotations": [{"label": c, "segment": [s, e]} for c, s, e in anns],
        }
        for vid, anns in videos.items()
    }
    for vid, (sub, anns) in (other or {}).items():
        database[vid] = {"subset": sub, "annotations": [{"label": c, "segment": [s, e]} for c, s, e in anns]}
    return {"version": "VERSION 1.3", "taxonomy": [], "database": database}


def pred_file(results):
    """results: {video_id: [(label, score, start, end)]}."""
    return {
        "version": "VERSION 1.3",
        "results": {
            vid: [{"label": c, "score": sc, "segment": [s, e]} for c, sc, s, e in preds]
            for vid, preds in results.items()
        },
        "external_data": {"used": False, "details": ""},
    }


def same_everywhere(value):
    return dict.fromkeys(KEYS, pytest.approx(value))


# ---------------------------------------------------------------- hand-computed cases


def test_perfect_predictions():
    gt = gt_file({"v1": [("A", 0, 10), ("B", 20, 30)], "v2": [("A", 5, 8)]})
    pred = pred_file({"v1": [("A", 0.9, 0, 10), ("B", 0.8, 20, 30)], "v2": [("A", 0.7, 5, 8)]})
    out = tal_map(gt, pred)
    assert out["mAP"] == same_everywhere(100.0) and out["average_mAP"] == pytest.approx(100.0)
    assert list(out["mAP"]) == KEYS
    assert out["per_class"]["B"]["AP"]["0.95"] == pytest.approx(100.0)
    assert all(type(v) is float for v in out["mAP"].values())


def test_duplicates_match_one_gt_only():
    gt = gt_file({"v1": [("A", 0, 10), ("A", 20, 30)]})
    pred = pred_file({"v1": [("A", 0.9, 0, 10), ("A", 0.8, 0, 10), ("A", 0.7, 20, 30)]})
    # TP, FP (gt already taken), TP: AP = 1/2 * 1 + 1/2 * 2/3
    assert tal_map(gt, pred)["mAP"] == same_everywhere(100 * 5 / 6)


def test_precision_is_made_monotone():
    gt = gt_file({"v1": [("A", 0, 10)], "v2": [("A", 0, 10)], "v3": [("A", 0, 10)]})
    # FP, TP, TP with 3 gts: precision 0, 1/2, 2/3 -> monotone 2/3, 2/3: AP = 2 * 1/3 * 2/3
    pred = pred_file({"v1": [("A", 0.9, 50, 60), ("A", 0.8, 0, 10)], "v2": [("A", 0.7, 0, 10)]})
    assert tal_map(gt, pred)["average_mAP"] == pytest.approx(100 * 4 / 9)
    # TP, FP, TP: 1/3 * 1 + 1/3 * 2/3; the third gt is never found
    pred = pred_file({"v1": [("A", 0.9, 0, 10), ("A", 0.8, 50, 60)], "v2": [("A", 0.7, 0, 10)]})
    assert tal_map(gt, pred)["average_mAP"] == pytest.approx(100 * 5 / 9)


def test_equal_scores_keep_file_order():
    gt = gt_file({"v1": [("A", 0, 10)]}, other={"v2": ("validation", [("B", 0, 10)])})
    fp_first = pred_file({"v1": [("A", 0.5, 50, 60), ("A", 0.5, 0, 10)]})
    tp_first = pred_file({"v1": [("A", 0.5, 0, 10), ("A", 0.5, 50, 60)]})
    assert tal_map(gt, fp_first)["per_class"]["A"]["average_AP"] == pytest.approx(50.0)
    assert tal_map(gt, tp_first)["per_class"]["A"]["average_AP"] == pytest.approx(100.0)
    # across videos: the order of "results" decides (v2 has no gt of class A: false positive)
    fp_video_first = pred_file({"v2": [("A", 0.5, 0, 10)], "v1": [("A", 0.5, 0, 10)]})
    tp_video_first = pred_file({"v1": [("A", 0.5, 0, 10)], "v2": [("A", 0.5, 0, 10)]})
    assert tal_map(gt, fp_video_first)["per_class"]["A"]["average_AP"] == pytest.approx(50.0)
    assert tal_map(gt, tp_video_first)["per_class"]["A"]["average_AP"] == pytest.approx(100.0)


def test_unknown_videos_and_videos_outside_the_subset_are_false_positives():
    gt = gt_file({"v1": [("A", 0, 10)]}, other={"v9": ("training", [("A", 0, 10)])})
    pred = pred_file({"v9": [("A", 0.9, 0, 10)], "v_unknown": [("A", 0.8, 0, 10)], "v1": [("A", 0.7, 0, 10)]})
    assert tal_map(gt, pred)["mAP"] == same_everywhere(100 / 3)  # FP, FP, TP
    assert tal_map(gt, pred, subset="training")["mAP"] == same_everywhere(100.0)  # v9 first: TP


def test_class_without_predictions_has_ap_zero():
    gt = gt_file({"v1": [("A", 0, 10)], "v2": [("B", 0, 10)]})
    out = tal_map(gt, pred_file({"v1": [("A", 0.9, 0, 10)]}))
    assert out["per_class"]["B"]["average_AP"] == 0.0
    assert out["average_mAP"] == pytest.approx(50.0)


def test_labels_outside_ground_truth_classes_are_ignored():
    gt = gt_file({"v1": [("A", 0, 10)]}, other={"v9": ("training", [("Z", 0, 10)])})
    pred = pred_file({"v1": [("Z", 1.0, 0, 10), ("A", 0.9, 0, 10), ("Y", 0.95, 0, 10)]})
    out = tal_map(gt, pred)  # "Z" is only a training class: ignored on validation
    assert out["average_mAP"] == pytest.approx(100.0) and list(out["per_class"]) == ["A"]


@pytest.mark.parametrize("results", [{}, {"v1": []}])
def test_empty_predictions(results):
    gt = gt_file({"v1": [("A", 0, 10)], "v2": [("B", 0, 10)]})
    out = tal_map(gt, {"results": results})
    assert out["mAP"] == same_everywhere(0.0) and out["average_mAP"] == 0.0


def test_prediction_takes_the_gt_with_highest_tiou():
    gt = gt_file({"v1": [("A", 0, 10), ("A", 4, 14)]})
    # p1 [3, 13]: tIoU 7/13 = 0.538 with the first gt, 9/11 = 0.818 with the second -> takes the second;
    # p2 [4, 14]: 1.0 with the second (taken), 6/14 = 0.43 with the first -> false positive.
    pred = pred_file({"v1": [("A", 0.9, 3, 13), ("A", 0.8, 4, 14)]})
    out = tal_map(gt, pred)
    want = {k: pytest.approx(50.0 if float(k) <= 0.8 else 25.0) for k in KEYS}  # above 0.818: p1 FP, p2 TP
    assert out["mAP"] == want
    assert out["average_mAP"] == pytest.approx(42.5)


def test_equal_tiou_goes_to_the_gt_listed_first():
    # p1 [1, 11] has tIoU 9/11 with both gts; p2 [0, 10]: 1.0 with [0, 10], 8/12 with [2, 12].
    pred = pred_file({"v1": [("A", 0.9, 1, 11), ("A", 0.8, 0, 10)]})
    first = tal_map(gt_file({"v1": [("A", 0, 10), ("A", 2, 12)]}), pred)["mAP"]
    # p1 takes [0, 10]; p2 falls back to [2, 12] (0.667): TP up to 0.65, FP from 0.70; above 0.818 p1 misses
    assert first == {
        k: pytest.approx(100.0 if float(k) <= 0.65 else 50.0 if float(k) <= 0.8 else 25.0) for k in KEYS
    }
    swapped = tal_map(gt_file({"v1": [("A", 2, 12), ("A", 0, 10)]}), pred)["mAP"]
    # p1 takes [2, 12] now, leaving [0, 10] to p2
    assert swapped == {k: pytest.approx(100.0 if float(k) <= 0.8 else 25.0) for k in KEYS}


def test_custom_thresholds_and_keys():
    gt = gt_file({"v1": [("A", 0, 10)]})
    pred = pred_file({"v1": [("A", 0.9, 0, 8)]})  # tIoU 0.8
    out = tal_map(gt, pred, thresholds=[0.5, 0.75, 0.85])
    assert out["mAP"] == {"0.50": 100.0, "0.75": 100.0, "0.85": 0.0}
    assert threshold_key(0.5) == "0.50" and threshold_key(0.525) == "0.525"
    with pytest.raises(ValueError, match="thresholds"):
        tal_map(gt, pred, thresholds=[0.0])
    with pytest.raises(ValueError, match="distinct"):
        tal_map(gt, pred, thresholds=[0.5, 0.5])


def random_files(seed, n_videos=25, max_gt=4, gt_classes=2, span=10):
    """Few classes and a coarse time grid, so that scores, tIoUs and segments tie often and
    several gts of one class share a video (the matching order matters)."""
    rng = np.random.default_rng(seed)
    classes = ["A", "B", "C"]
    database, results = {}, {}
    for v in range(n_videos):
        subset = "validation" if rng.random() < 0.8 else "training"
        anns = []
        for _ in range(int(rng.integers(0, max_gt + 1))):
            s = int(rng.integers(0, span))
            label = classes[int(rng.integers(0, gt_classes))]
            anns.append({"label": label, "segment": [s, s + int(rng.integers(0, 10))]})
        database[f"v{v}"] = {"subset": subset, "annotations": anns}
        preds = []
        for _ in range(int(rng.integers(0, 4 * max_gt))):
            score = float(rng.integers(0, 6)) / 5
            if anns and rng.random() < 0.6:  # near a gt: several predictions compete for it
                ann = anns[int(rng.integers(0, len(anns)))]
                s, e = (
                    ann["segment"][0] + int(rng.integers(-1, 2)),
                    ann["segment"][1] + int(rng.integers(-1, 2)),
                )
                preds.append({"label": ann["label"], "score": score, "segment": [min(s, e), max(s, e)]})
            else:
                s = int(rng.integers(0, 12))
                label = classes[int(rng.integers(0, 3))]  # "C" is never a gt class
                preds.append({"label": label, "score": score, "segment": [s, s + int(rng.integers(0, 10))]})
        results[f"v{v}" if rng.random() < 0.9 else f"unknown{v}"] = preds
    database["anchor"] = {"subset": "validation", "annotations": [{"label": "A", "segment": [0, 5]}]}
    return {"database": database}, {"results": results}


SHAPES = {
    "default": {},
    # many overlapping gts of one class per video, so predictions compete for them
    "crowded": {"n_videos": 6, "max_gt": 12, "gt_classes": 1, "span": 4},
    # long per-class lists: many steps of the monotone-precision pass
    "long": {"n_videos": 300, "max_gt": 3, "gt_classes": 2, "span": 20},
}


@pytest.mark.parametrize(
    ("seed", "shape"),
    [(seed, "default") for seed in range(12)] + [(seed, "crowded") for seed in range(6)] + [(0, "long")],
)
def test_matches_loop_reference(seed, shape):
    gt, pred = random_files(seed, **SHAPES[shape])
    thresholds = np.linspace(0.5, 0.95, 10)
    for subset in ("validation", "training"):
        try:
            out = tal_map(gt, pred, subset=subset, thresholds=thresholds)
        except ValueError:  # a random training subset may have no annotations
            assert subset == "training"
            continue
        ap, _ = loop_tal_ap(gt, pred, subset, thresholds)
        classes = list(out["per_class"])
        # the same float operations: equal to the bit, not just close
        for t, key in enumerate(KEYS):
            assert [out["per_class"][c]["AP"][key] for c in classes] == [float(100 * a) for a in ap[t]]
        assert list(out["mAP"].values()) == [float(100 * m) for m in ap.mean(axis=1)]
        assert out["average_mAP"] == float(100 * ap.mean(axis=1).mean())
