"""ActivityNet JSON parsing: what is kept, what is ignored, and where malformed input is reported."""

import numpy as np
import pytest

from core.metrics.activitynet import parse_ground_truth, parse_predictions


def ground_truth():
    return {
        "version": "VERSION 1.3",
        "database": {
            "v1": {"subset": "validation", "annotations": [{"label": "A", "segment": [0, 10]}]},
            "v2": {"subset": "training", "annotations": [{"label": "Z", "segment": [1, 2]}]},
            "v3": {
                "subset": "validation",
                "annotations": [{"label": "B", "segment": [3.5, 4]}, {"label": "A", "segment": [5, 5]}],
            },
            "v4": {"subset": "testing", "annotations": []},
        },
    }


def test_ground_truth_arrays():
    gt = parse_ground_truth(ground_truth(), "validation")
    assert gt.classes == ["A", "B"] and gt.video_ids == ["v1", "v3"]
    assert gt.video.tolist() == [0, 1, 1] and gt.label.tolist() == [0, 1, 0]
    assert gt.segment.tolist() == [[0.0, 10.0], [3.5, 4.0], [5.0, 5.0]]  # zero length is allowed


def test_predictions_keep_file_order_and_drop_unknown_labels():
    gt = parse_ground_truth(ground_truth(), "validation")
    pred = parse_predictions(
        {
            "results": {
                "v3": [
                    {"label": "B", "score": 1, "segment": [0, 1]},
                    {"label": "Z", "score": 0.5, "segment": [0, 1]},
                ],
                "v2": [{"label": "A", "score": 0.25, "segment": [2, 3.5]}],
                "v1": [],
            }
        },
        gt,
    )
    assert pred.video.tolist() == [1, -1] and pred.label.tolist() == [1, 0]
    assert pred.score.tolist() == [1.0, 0.25] and pred.segment.tolist() == [[0.0, 1.0], [2.0, 3.5]]
    assert pred.n_ignored == 1 and pred.score.dtype == np.float64


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("database"), 'no "database"'),
        (lambda d: d.update(database=[]), '"database" must be a JSON object'),
        (lambda d: d["database"]["v1"].pop("subset"), r"database\['v1'\] has no string \"subset\""),
        (lambda d: d["database"]["v1"].pop("annotations"), r"database\['v1'\] has no \"annotations\" list"),
        (
            lambda d: d["database"]["v3"]["annotations"][1].pop("label"),
            r"annotations\[1\] has no string \"label\"",
        ),
        (lambda d: d["database"]["v1"]["annotations"][0].update(segment=[5, 1]), "end 1 < start 5"),
        (lambda d: d["database"]["v1"]["annotations"][0].update(segment=["0", 1]), "two finite numbers"),
        (lambda d: d["database"]["v1"]["annotations"][0].update(segment=[0, 1, 2]), r"\[start, end\]"),
        (lambda d: d["database"]["v1"]["annotations"][0].update(segment=[0, float("nan")]), "finite"),
    ],
)
def test_ground_truth_errors_say_where(mutate, message):
    data = ground_truth()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        parse_ground_truth(data, "validation")


def test_subset_without_videos_or_annotations():
    with pytest.raises(
        ValueError, match=r"no videos in subset 'val' \(subsets in the file: testing, training, validation\)"
    ):
        parse_ground_truth(ground_truth(), "val")
    with pytest.raises(ValueError, match="no ground-truth annotations"):
        parse_ground_truth(ground_truth(), "testing")


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ({"v1": {"label": "A"}}, r"results\['v1'\] must be a list"),
        ({"v1": [{"label": "A", "segment": [0, 1]}]}, r"results\['v1'\]\[0\].score must be a finite number"),
        ({"v1": [{"label": "A", "score": "0.5", "segment": [0, 1]}]}, "score must be a finite number"),
        ({"v1": [{"label": "A", "score": float("nan"), "segment": [0, 1]}]}, "score must be a finite number"),
        ({"v1": [{"label": "A", "score": True, "segment": [0, 1]}]}, "score must be a finite number"),
        ({"v1": [{"score": 0.5, "segment": [0, 1]}]}, r"\[0\] has no string \"label\""),
        ({"v1": [{"label": 3, "score": 0.5, "segment": [0, 1]}]}, r"\[0\] has no string \"label\""),
        ({"v1": [{"label": "A", "score": 0.5, "segment": [0, 1]}, "x"]}, r"\[1\] must be a JSON object"),
        (
            {
                "v1": [
                    {"label": "A", "score": 0.5, "segment": [0, 1]},
                    {"label": "A", "score": 1, "segment": [2]},
                ]
            },
            r"\[1\].segment must be a list",
        ),
        ({"v1": [{"label": "A", "score": 0.5, "segment": [2, 1]}]}, "end 1 < start 2"),
        ({"v1": [{"label": "A", "score": 0.5, "segment": [None, 1]}]}, "two finite numbers"),
    ],
)
def test_prediction_errors_say_where(results, message):
    gt = parse_ground_truth(ground_truth(), "validation")
    with pytest.raises(ValueError, match=message):
        parse_predictions({"results": results}, gt)


def test_not_a_results_file():
    gt = parse_ground_truth(ground_truth(), "validation")
    with pytest.raises(ValueError, match='no "results"'):
        parse_predictions(ground_truth(), gt)
    with pytest.raises(ValueError, match='"results" must be a JSON object'):
        parse_predictions({"results": []}, gt)
