"""Temporal grouping: 2-means fg/bg accuracy and its chance, scene-cut matching and F1, the evaluators."""

from __future__ import annotations

import numpy as np
import pytest

from core.eval.temporal_grouping import paired_chunks
from core.metrics.foreground import (
    EXACT_MAX,
    clustered_accuracy,
    constant_chance,
    partitions,
    random_split_chance,
    soft_accuracy,
    thresholded_accuracy,
    two_means,
)
from core.metrics.scene_cuts import (
    VideoCuts,
    boundary_positions,
    choose_threshold,
    consecutive_similarity,
    local_minima,
    match_cuts,
    predict_cuts,
    random_cut_chance,
    split_scores,
)

# --- foreground / background ---


def separated_clips(mask: np.ndarray, width: int = 6, seed: int = 0) -> np.ndarray:
    """Clip features [N, Nt, C]: foreground positions near one direction, background near another."""
    rng = np.random.default_rng(seed)
    fg, bg = np.eye(width)[0], np.eye(width)[1]
    base = np.where(mask[..., None] > 0, fg, bg)  # [N, Nt, C]
    return base + 0.05 * rng.standard_normal(base.shape)


def test_partitions_enumerate_the_nonempty_two_way_splits():
    split = partitions(3)
    assert split.shape == (3, 3) and not split[:, 0].any() and split.any(1).all()
    assert len(partitions(5)) == 2 ** 4 - 1


def test_perfectly_separated_features_give_100():
    mask = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32)
    assert clustered_accuracy(separated_clips(mask), mask) == pytest.approx(100.0)
    long_mask = (np.arange(EXACT_MAX + 4) % 5 < 2).astype(np.float32)[None]  # Lloyd's algorithm path
    assert clustered_accuracy(separated_clips(long_mask), long_mask) == pytest.approx(100.0)


def test_two_means_finds_the_split_with_the_least_scatter():
    z = np.array([[1.0, 0.0], [0.95, 0.05], [0.0, 1.0], [0.1, 0.9]])
    groups = two_means(z)
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[0] != groups[2]


def test_group_matching_is_per_clip_and_chance_is_the_random_split_expectation():
    mask = np.array([[1, 0]], dtype=np.float32)
    assert random_split_chance(mask) == pytest.approx(100.0)  # the only split is the right one
    # Nt = 3, mask 110: splits {0}|{1,2}, {0,1}|{2}, {0,2}|{1} agree on 2, 3, 2 positions at best.
    assert random_split_chance(np.array([[1, 1, 0]], dtype=np.float32)) == pytest.approx(100 * 7 / 9)
    # Features that put every position in the same place: 2-means still splits, chance-like.
    flat = np.ones((1, 3, 4))
    assert 100 / 3 <= clustered_accuracy(flat, np.array([[1, 1, 0]], dtype=np.float32)) <= 100


def test_centred_scores_and_their_chance():
    mask = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32)
    p = np.array([[0.9, 0.6, 0.4, 0.2], [0.7, 0.8, 0.1, 0.5]])
    assert thresholded_accuracy(p, mask) == pytest.approx(100 * 7 / 8)  # only 0.8 over a background
    assert soft_accuracy(np.full_like(p, 0.5), mask) == pytest.approx(50.0)
    assert soft_accuracy(mask.astype(np.float64), mask) == pytest.approx(100.0)
    assert constant_chance(mask) == pytest.approx(100 * 5 / 8)


def test_paired_chunks_never_leave_a_clip_without_a_partner():
    for count in range(2, 40):
        for size in (1, 2, 3, 4, 16):
            parts = paired_chunks(count, size)
            assert sum(p.stop - p.start for p in parts) == count
            assert all(p.stop - p.start >= 2 for p in parts)


# --- scene cuts ---


def test_cut_matching_with_tolerance_is_one_to_one():
    assert match_cuts(np.array([10.0]), np.array([12.0]), tolerance=4) == 1  # hit
    assert match_cuts(np.array([10.0]), np.array([15.0]), tolerance=4) == 0  # miss
    assert match_cuts(np.array([10.0, 13.0]), np.array([12.0]), tolerance=4) == 1  # double prediction
    assert match_cuts(np.array([12.0]), np.array([10.0, 13.0]), tolerance=4) == 1  # one prediction, two cuts
    # Greedy by distance: 20 takes 21 (distance 1) first, leaving 17 for 16.
    assert match_cuts(np.array([16.0, 20.0]), np.array([17.0, 21.0]), tolerance=4) == 2
    assert match_cuts(np.array([]), np.array([5.0]), tolerance=4) == 0


def test_boundaries_minima_and_predictions():
    assert boundary_positions(np.array([0, 8, 16]), window=8).tolist() == [8.0, 16.0]
    assert boundary_positions(np.array([0, 4, 8]), window=8).tolist() == [6.0, 10.0]
    feats = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert consecutive_similarity(feats) == pytest.approx([1.0, 0.0, 1.0])
    sim = np.array([0.9, 0.2, 0.3, 0.95, 0.4, 0.4, 0.9])
    assert local_minima(sim).tolist() == [1, 4]  # plateau: its first position
    video = VideoCuts(positions=np.arange(7.0) * 10, similarity=sim, truth=np.array([10.0]))
    assert predict_cuts(video, 0.3).tolist() == [10.0]
    assert predict_cuts(video, 0.5).tolist() == [10.0, 40.0]


def test_threshold_is_fitted_on_one_split_and_f1_pooled():
    fit = [VideoCuts(np.arange(5.0) * 8, np.array([0.9, 0.3, 0.9, 0.6, 0.9]), np.array([8.0])),
           VideoCuts(np.arange(5.0) * 8, np.array([0.95, 0.9, 0.2, 0.9, 0.95]), np.array([16.0]))]
    threshold, f1 = choose_threshold(fit, tolerance=8)
    assert threshold == pytest.approx(0.3) and f1 == pytest.approx(100.0)
    scores = split_scores(fit, 0.6, tolerance=8)  # one extra prediction: P = 2/3, R = 1
    assert scores["cut_precision"] == pytest.approx(100 * 2 / 3) and scores["cut_recall"] == pytest.approx(100)
    assert scores["cut_f1"] == pytest.approx(80.0)


def test_random_cut_chance_is_seeded_and_bounded():
    videos = [VideoCuts(np.arange(40.0) * 8, np.ones(40), np.array([80.0, 200.0])) for _ in range(5)]
    chance = random_cut_chance(videos, tolerance=8)
    assert 0 < chance < 50 and chance == random_cut_chance(videos, tolerance=8)


# --- the evaluators on the tiny synthetic suite with a random tiny model ---


def test_fg_bg_evaluator_on_the_tiny_suite(tiny_context, synth_row, synth_tiny_root, one_thread):
    from core.eval.temporal_grouping import evaluate_temporal_grouping

    ctx = tiny_context
    row, index = synth_row(synth_tiny_root, "synth-msrvtt", "msrvtt")
    outcome = evaluate_temporal_grouping(ctx, row, index)
    assert set(outcome.metrics) == {"fg_bg_acc", "fg_bg_acc_centred", "fg_bg_soft_centred"}
    assert outcome.n == len(index.split("test"))
    for metric, value in outcome.metrics.items():
        assert 0 <= value <= 100 and 0 <= outcome.chance[metric] <= 100
    assert outcome.chance["fg_bg_acc"] >= 50 and 0 <= outcome.protocol["pixel_baseline"] <= 100
    assert evaluate_temporal_grouping(ctx, row, index).metrics == outcome.metrics  # cached, same pastes


def test_cut_evaluator_on_the_tiny_suite(tiny_context, synth_row, synth_tiny_root, one_thread):
    from core.eval.temporal_grouping import evaluate_temporal_grouping

    ctx = tiny_context
    row, index = synth_row(synth_tiny_root, "synth-anet", "activitynet")
    outcome = evaluate_temporal_grouping(ctx, row, index)
    assert outcome.split == "val" and set(outcome.metrics) == {"cut_f1", "cut_precision", "cut_recall"}
    assert all(0 <= v <= 100 for v in outcome.metrics.values()) and 0 <= outcome.chance["cut_f1"] <= 100
    assert outcome.protocol["stride"] == ctx.model.cfg.video.num_frames
    assert outcome.protocol["videos"] == len(index.split("val"))


def test_a_missing_video_is_left_out_and_the_rest_is_scored(tmp_path, tiny_context, synth_row, synth_tiny_root,
                                                             one_thread):
    import shutil

    from core.eval.scene_cuts import evaluate_cuts

    copy = tmp_path / "synth-anet"
    shutil.copytree(synth_tiny_root / "synth-anet", copy)
    row, index = synth_row(tmp_path, "synth-anet", "activitynet")
    (copy / index.split("train")[0].video).unlink()  # the tiny suite has a single val video: drop a fitting one
    outcome = evaluate_cuts(tiny_context, row, index)
    assert outcome.protocol["fit_videos"] == len(index.split("train")) - 1 and outcome.protocol["coverage"] == 1
    assert 0 <= outcome.metrics["cut_f1"] <= 100
