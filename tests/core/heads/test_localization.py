"""The ActionFormer-style localizer: pyramid layout, targets, losses, gradients, decoding to a submission
that the offline scorer accepts, and the snippet rescaling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.heads.localization import Localizer, LocalizerConfig, point_layout
from core.heads.localization_decode import decode_video, submission, suppress
from core.heads.localization_loss import (
    LocalizerCollate,
    LocalizerObjective,
    assign_targets,
    diou_loss_1d,
    localization_loss,
)
from core.heads.snippet_features import SnippetFeatureConfig, describe, descriptor_width, rescale


def test_point_layout_levels_strides_and_ranges() -> None:
    points = point_layout(LocalizerConfig(snippets=100, levels=5))
    assert points["x"].shape == (100 + 50 + 25 + 13 + 7,)
    assert points["x"][:3].tolist() == [0.5, 1.5, 2.5]
    assert points["x"][100:102].tolist() == [0.5, 2.5]  # level 1: stride 2
    assert points["stride"].unique().tolist() == [1, 2, 4, 8, 16]
    assert points["lo"][0] == 0 and points["hi"][0] == 4 and points["lo"][100] == 4 and points["hi"][100] == 8
    assert torch.isinf(points["hi"][-1])


def test_assign_targets_by_hand() -> None:
    cfg = LocalizerConfig(snippets=16, levels=2)
    points = point_layout(cfg)
    cls, reg, positive = assign_targets(points, torch.tensor([[4.0, 8.0]]), torch.tensor([1]), 3, 1.5)
    # Level 0 (stride 1, farther boundary within [0, 4]): points 4.5 .. 7.5 near the centre 6.
    assert torch.nonzero(positive).squeeze(1).tolist() == [4, 5, 6, 7]
    assert cls[positive].argmax(1).tolist() == [1, 1, 1, 1] and cls[~positive].sum() == 0
    assert reg[4].tolist() == [0.5, 3.5] and reg[7].tolist() == [3.5, 0.5]
    # A point inside two actions takes the shorter one.
    cls, reg, positive = assign_targets(points, torch.tensor([[4.0, 8.0], [5.0, 7.0]]), torch.tensor([0, 2]), 3, 1.5)
    assert cls[6].tolist() == [0.0, 0.0, 1.0] and reg[6].tolist() == [1.5, 0.5]
    empty = assign_targets(points, torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), 3, 1.5)
    assert not empty[2].any()


def test_losses() -> None:
    target = torch.tensor([[1.0, 2.0], [0.5, 0.5]])
    assert diou_loss_1d(target, target).item() == pytest.approx(0.0, abs=1e-6)
    assert diou_loss_1d(target + torch.tensor([[1.0, 0.0], [0.0, 0.0]]), target).item() > 0
    cfg = LocalizerConfig(snippets=8, levels=1)
    out = localization_loss(torch.zeros(2, 8, 3), torch.ones(2, 8, 2), torch.zeros(2, 8, 3), torch.zeros(2, 8, 2),
                            torch.zeros(2, 8, dtype=torch.bool), cfg)
    assert out["loss_reg"].item() == 0.0 and out["loss_cls"].item() > 0


def test_localizer_shapes_and_every_parameter_gets_a_gradient() -> None:
    torch.manual_seed(0)
    cfg = LocalizerConfig(snippets=32, width=16, levels=3, heads=2, dropout=0.0)
    K = 4
    head = Localizer(cfg, in_width=24, num_classes=K)
    objective = LocalizerObjective(head)
    collate = LocalizerCollate(cfg, K)
    items = [{"features": torch.randn(32, 24), "segments": torch.tensor([[3.0, 9.0], [12.0, 30.0]]),
              "labels": torch.tensor([1, 3]), "index": 0},
             {"features": torch.randn(32, 24), "segments": torch.tensor([[0.0, 2.0]]), "labels": torch.tensor([0]),
              "index": 1}]
    batch = collate(items)
    P = 32 + 16 + 8
    assert batch["cls_target"].shape == (2, P, K) and batch["reg_target"].shape == (2, P, 2)
    logits, distances = head(batch["features"])
    assert logits.shape == (2, P, K) and distances.shape == (2, P, 2) and (distances >= 0).all()
    out = objective(batch)
    out["loss"].backward()
    missing = [n for n, p in objective.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing, missing


def test_agnostic_mode_one_action_class_a_video_classifier_and_every_gradient() -> None:
    torch.manual_seed(0)
    cfg = LocalizerConfig(snippets=32, width=16, levels=3, heads=2, dropout=0.0, mode="agnostic")
    K = 4
    head = Localizer(cfg, in_width=24, num_classes=K)
    objective = LocalizerObjective(head)
    items = [{"features": torch.randn(32, 24), "segments": torch.tensor([[3.0, 9.0], [12.0, 30.0]]),
              "labels": torch.tensor([1, 3]), "index": 0},
             {"features": torch.randn(32, 24), "segments": torch.tensor([[0.0, 2.0]]), "labels": torch.tensor([0]),
              "index": 1}]
    batch = LocalizerCollate(cfg, K)(items)
    P = 32 + 16 + 8
    assert batch["cls_target"].shape == (2, P, 1)  # every action is "an action"
    assert batch["cls_target"][0].sum() == batch["positive"][0].sum()
    assert batch["video_target"].tolist() == [[0, 1, 0, 1], [1, 0, 0, 0]]
    logits, _ = head(batch["features"])
    assert logits.shape == (2, P, 1) and head.classify_video(batch["features"]).shape == (2, K)
    out = objective(batch)
    assert out["loss_video"] > 0
    out["loss"].backward()
    missing = [n for n, p in objective.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing, missing


def test_video_loss_by_hand() -> None:
    from core.heads.localization_loss import video_loss

    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]))
    # Video 0 holds classes 0 and 1: -(0.5 log 0.5 + 0.5 log 0.25); video 1 holds none (left out).
    want = -(0.5 * np.log(0.5) + 0.5 * np.log(0.25))
    assert video_loss(logits, torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])).item() == pytest.approx(want, rel=1e-6)


def test_fusion_labels_each_proposal_with_the_top_classes() -> None:
    from core.heads.localization_decode import fuse_video_classes

    proposals = (np.array([[0.0, 5.0], [10.0, 20.0]]), np.array([0.81, 0.25]), np.zeros(2, dtype=np.int64))
    seg, score, label = fuse_video_classes(proposals, np.array([0.1, 0.64, 0.26]), topk=2)
    # sqrt(0.64 * 0.81) = 0.72, sqrt(0.26 * 0.81) = 0.459, sqrt(0.64 * 0.25) = 0.4, sqrt(0.26 * 0.25) = 0.255
    assert score == pytest.approx([0.72, np.sqrt(0.26 * 0.81), 0.4, np.sqrt(0.26 * 0.25)])
    assert label.tolist() == [1, 2, 1, 2]
    assert seg.tolist() == [[0.0, 5.0], [0.0, 5.0], [10.0, 20.0], [10.0, 20.0]]


def _ground_truth(tmp_path: Path) -> Path:
    gt = {"version": "VERSION 1.3", "taxonomy": [], "database": {
        "a": {"subset": "validation", "duration": 50.0, "annotations": [{"segment": [10.0, 20.0], "label": "Jump"}]},
        "b": {"subset": "validation", "duration": 40.0, "annotations": [{"segment": [4.0, 12.0], "label": "Run"}]},
        "c": {"subset": "training", "duration": 30.0, "annotations": [{"segment": [1.0, 2.0], "label": "Run"}]},
    }}
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt))
    return path


def test_decoded_detections_pass_through_the_offline_scorer(tmp_path: Path) -> None:
    from core.eval.score import score_tal_files

    cfg = LocalizerConfig(snippets=100, levels=5)
    points = point_layout(cfg)
    classes = ["Jump", "Run"]

    def outputs(point: int, label: int, left: float, right: float) -> tuple[torch.Tensor, torch.Tensor]:
        logits = torch.full((points["x"].shape[0], 2), -20.0)
        logits[point, label] = 5.0
        distances = torch.zeros(points["x"].shape[0], 2)
        distances[point] = torch.tensor([left, right])
        return logits, distances

    # Video a (50 s, 0.5 s per snippet): snippets 20 .. 40 = 10 .. 20 s.
    det_a = decode_video(*outputs(30, 0, 10.5, 9.5), points, 50.0, cfg)  # point 30 sits at x = 30.5
    # Video b (40 s): level 1 point 10 (x = 20.5, stride 2): 10 .. 30 snippets = 4 .. 12 s.
    det_b = decode_video(*outputs(100 + 10, 1, 5.25, 4.75), points, 40.0, cfg)
    assert det_a[0][0] == pytest.approx([10.0, 20.0]) and det_b[0][0] == pytest.approx([4.0, 12.0])
    assert det_a[2][0] == 0 and det_b[2][0] == 1
    predicted = submission({"a": det_a, "b": det_b}, classes)
    assert predicted["version"] == "VERSION 1.3" and predicted["external_data"]["used"] is False
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(predicted))
    scores = score_tal_files(_ground_truth(tmp_path), path, "validation")
    assert scores["average_mAP"] == pytest.approx(100.0)


def test_soft_and_hard_nms_keep_the_best_and_cap_the_count() -> None:
    segments = np.array([[0.0, 10.0], [0.5, 10.0], [20.0, 30.0], [0.0, 9.0]])
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    labels = np.array([0, 0, 0, 1])
    seg, score, label = suppress(segments, scores, labels, LocalizerConfig(nms="hard", nms_threshold=0.5))
    assert label.tolist() == [1, 0, 0] and score.tolist() == [0.95, 0.9, 0.7]
    seg, score, label = suppress(segments, scores, labels, LocalizerConfig(nms="soft", max_detections=2))
    assert len(score) == 2 and score[0] == 0.95 and score[1] == 0.9


def test_rescale_interpolates_window_features_to_snippets() -> None:
    centres = np.array([1.0, 3.0, 5.0, 7.0])  # seconds
    features = np.stack([centres, 2 * centres], 1)  # [W, 2]: linear in time
    out = rescale(features, centres, duration=8.0, snippets=8)  # snippet centres 0.5, 1.5, ..., 7.5
    assert out.shape == (8, 2)
    expected = np.clip(np.arange(8) + 0.5, 1.0, 7.0)  # clamped outside the first and last window
    np.testing.assert_allclose(out[:, 0], expected, atol=1e-6)
    np.testing.assert_allclose(out[:, 1], 2 * expected, atol=1e-6)


def test_rescale_averages_features_at_the_same_time_in_any_order() -> None:
    times = np.array([3.0, 1.0, 3.0, 5.0])  # overlapping windows give the same time twice
    features = np.array([[2.0], [0.0], [4.0], [6.0]])
    out = rescale(features, times, duration=6.0, snippets=3)  # snippet centres 1, 3, 5
    np.testing.assert_allclose(out[:, 0], [0.0, 3.0, 6.0], atol=1e-6)


def test_motion_descriptor_by_hand() -> None:
    # One window, 3 temporal positions, 2 places, 1 channel: values chosen so every mean is exact.
    tokens = torch.tensor([[[[0.0], [2.0]], [[1.0], [2.0]], [[1.0], [-2.0]]]])  # [Wn=1, Nt=3, Ns=2, C=1]
    mean = describe(tokens, "mean")  # [1, 3, 1]
    assert mean[0, :, 0].tolist() == [1.0, 1.5, -0.5]
    motion = describe(tokens, "motion")  # [1, 3, 2]: [spatial mean ; mean |change since t-1|]
    assert motion.shape == (1, 3, descriptor_width("motion", 1))
    assert motion[0, :, 0].tolist() == [1.0, 1.5, -0.5]
    assert motion[0, :, 1].tolist() == [0.5, 0.5, 2.0]  # |1-0|,|2-2| -> 0.5; |0|,|-4| -> 2; t=0 repeats t=1


def test_motion_descriptor_sees_a_moving_pattern_that_the_mean_does_not() -> None:
    # A bright spot moving across 4 places: the spatial mean is constant, the change is not.
    tokens = torch.zeros(1, 4, 4, 3)  # [Wn, Nt, Ns, C]
    for t in range(4):
        tokens[0, t, t] = 1.0
    still = tokens[:, :1].expand(1, 4, 4, 3)
    assert torch.equal(describe(tokens, "mean"), describe(still, "mean"))
    moving, static = describe(tokens, "motion"), describe(still, "motion")
    assert torch.equal(static[..., 3:], torch.zeros(1, 4, 3))
    assert (moving[..., 3:] > 0).all()


def test_single_position_motion_descriptor_has_zero_change() -> None:
    out = describe(torch.ones(2, 1, 5, 4), "motion")  # [Wn=2, Nt=1, Ns=5, C=4]
    assert out.shape == (2, 1, 8) and torch.equal(out[..., 4:], torch.zeros(2, 1, 4))


def test_unknown_descriptor_is_refused() -> None:
    from core.config import validate_config
    from core.errors import UserError

    with pytest.raises(UserError, match="features.descriptor: input should be 'mean' or 'motion', got 'flow'"):
        validate_config(SnippetFeatureConfig, {"descriptor": "flow"}, "features")
