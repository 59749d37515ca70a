"""Grounding quality: label maps on the token grid, IoU metrics, noun -> region hits, the evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.transforms import EvalTransform
from core.eval.token_labels import token_labels, tokens_to_pixels, transform_labels
from core.metrics.grounding import (
    iou_matrix,
    named_object_hits,
    permuted_best_iou,
    random_group_hits,
    score_video,
    summarise,
)

# --- label maps on the token grid ---


def test_transform_labels_follows_the_frames_geometry():
    labels = np.zeros((2, 48, 64), np.uint8)  # landscape: resize to 32 x 43, then a centre crop
    labels[:, 8:24, 10:30] = 1
    labels[:, 30:46, 40:60] = 2
    out = transform_labels(labels, 32)
    assert out.shape == (2, 32, 32) and out.dtype == np.uint8
    assert set(np.unique(out)) == {0, 1, 2}
    # Frames painted with the labels go through the real transform: where a pixel's neighbourhood
    # is uniform, bilinear/area resizing and nearest sampling agree.
    frames = np.repeat((labels * 100)[..., None], 3, axis=-1)  # [T, H, W, 3]
    pixels = EvalTransform(32)(frames)[:, 0].numpy()  # [T, S, S]
    uniform = np.isin(pixels, (0, 100, 200))
    assert uniform.mean() > 0.8
    assert np.array_equal(pixels[uniform], out[uniform].astype(np.int64) * 100)


def test_transform_labels_is_the_identity_at_the_source_size():
    labels = np.random.default_rng(0).integers(0, 4, (3, 64, 64)).astype(np.uint8)
    assert np.array_equal(transform_labels(labels, 64), labels)


def test_token_labels_take_the_plurality_with_ties_to_the_background():
    labels = np.zeros((2, 4, 4), np.uint8)  # tubelet 2, patch 2 -> Nt 1, 2 x 2 tokens
    labels[:, 0:2, 0:2] = 1  # token (0, 0): all object 1
    labels[0, 0:2, 2:4] = 2  # token (0, 1): half object 2, half background -> tie -> background
    labels[:, 2:4, 2:4] = 3  # token (1, 1): object 3 ...
    labels[0, 2, 2] = 0  # ... with one background pixel of 8
    labels[:, 2:4, 0:2] = 2  # token (1, 0): object 2
    labels[1, 3, 1] = 1
    got = token_labels(labels, tubelet=2, patch=2)
    assert got.shape == (1, 4)
    assert got.tolist() == [[1, 0, 2, 3]]
    assert token_labels(labels, tubelet=1, patch=2).tolist() == [[1, 2, 2, 3], [1, 0, 2, 3]]


def test_tokens_to_pixels_repeats_each_token_over_its_patch():
    groups = np.array([[0, 1, 2, 3]])  # Nt 1, 2 x 2 grid
    maps = tokens_to_pixels(groups, (2, 2), patch=3)
    assert maps.shape == (1, 6, 6)
    assert (maps[0, :3, :3] == 0).all() and (maps[0, :3, 3:] == 1).all() and (maps[0, 3:, 3:] == 3).all()


# --- IoU metrics ---

LABELS = np.array([0, 0, 0, 0, 1, 1, 2, 2])  # 4 background tokens, objects 1 and 2 own two each


def test_a_perfect_assignment_scores_100():
    groups = np.array([3, 3, 3, 3, 0, 0, 5, 5])  # group ids need not equal labels
    video = score_video(LABELS, groups, objects=[1, 2], num_groups=8)
    assert video.best_iou.tolist() == [1.0, 1.0] and video.background_iou == 1.0
    metrics, chance, extras = summarise([video])
    assert metrics["group_object_iou"] == pytest.approx(100.0)
    assert metrics["group_iou_with_bg"] == pytest.approx(100.0)
    assert chance["group_object_iou"] < 100.0 and extras["pairs"] == 2


def test_adversarial_assignments_score_what_hand_counting_gives():
    # Every object split over two groups, each shared with background: object 1 -> {4: g0, 5: g1}
    # with g0 = {0, 4}, g1 = {1, 5}: best IoU 1 / 3.
    groups = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    video = score_video(LABELS, groups, objects=[1, 2], num_groups=4)
    assert video.best_iou == pytest.approx([1 / 3, 1 / 3])
    # Everything in one group: IoU = |object| / L; permuting changes nothing, so chance is equal.
    single = score_video(LABELS, np.zeros(8, np.int64), objects=[1, 2], num_groups=4)
    assert single.best_iou == pytest.approx([0.25, 0.25])
    assert single.best_iou_chance == pytest.approx([0.25, 0.25])


def test_iou_matrix_and_permuted_chance():
    groups = np.array([0, 0, 1, 1, 1, 1, 2, 2])
    iou = iou_matrix(LABELS, groups, [0, 1, 2], num_groups=4)
    assert iou.shape == (3, 4)
    assert iou[0].tolist() == pytest.approx([0.5, 2 / 6, 0.0, 0.0])
    assert iou[1].tolist() == pytest.approx([0.0, 0.5, 0.0, 0.0])
    assert iou[2].tolist() == pytest.approx([0.0, 0.0, 1.0, 0.0])
    chance = permuted_best_iou(LABELS, groups, [1, 2], num_groups=4, seeds=(0, 1, 2))
    assert ((chance >= 0) & (chance <= 1)).all()
    assert np.array_equal(chance, permuted_best_iou(LABELS, groups, [1, 2], num_groups=4, seeds=(0, 1, 2)))


def test_objects_without_tokens_are_left_out():
    video = score_video(LABELS, LABELS.copy(), objects=[1, 2, 3], num_groups=3)
    assert video.objects == [1, 2] and len(video.best_iou) == 2
    empty = score_video(np.zeros(8, np.int64), np.zeros(8, np.int64), objects=[1], num_groups=2, chosen={1: 0})
    assert empty.objects == [] and len(empty.hits) == 0 and len(empty.random_group_hits) == 0


# --- noun -> region ---


def test_named_object_hits_and_their_random_group_chance():
    # objects 1, 2 vs groups 0..3: group 0 = object 1, group 1 = object 2, group 2 mostly object 2,
    # group 3 = background only.
    iou = np.array([[0.9, 0.0, 0.1, 0.0],
                    [0.0, 0.8, 0.3, 0.0]])
    assert named_object_hits(iou, np.array([0, 1])).tolist() == [True, True]
    assert named_object_hits(iou, np.array([1, 0])).tolist() == [False, False]
    assert named_object_hits(iou, np.array([3, 2])).tolist() == [False, True]  # background group: a miss
    assert random_group_hits(iou).tolist() == pytest.approx([0.25, 0.5])


def test_noun_region_accuracy_from_hand_built_embeddings():
    from core.eval.grounding import chosen_groups

    regions = np.eye(3, 4, dtype=np.float32)  # [M 3, D 4]: region m points along axis m
    nouns = np.array([[0, 0.6, 0.8, 0], [0.9, 0.1, 0, 0.43]], dtype=np.float32)  # [P 2, D 4]
    assert chosen_groups(regions, nouns, tau=0.1).tolist() == [2, 0]

    labels = np.array([0, 0, 1, 1, 2, 2])
    groups = np.array([1, 1, 2, 2, 0, 0])  # group 2 = object 1, group 0 = object 2
    hit = score_video(labels, groups, [1, 2], num_groups=3, chosen={1: 2, 2: 1})
    assert hit.hits.tolist() == [True, False]
    metrics, chance, _ = summarise([hit])
    assert metrics["noun_region_acc"] == pytest.approx(50.0)
    assert chance["noun_region_acc"] == pytest.approx(100 / 3)


# --- the evaluator on the tiny synthetic suite with a random tiny model ---


def test_grounding_evaluator_on_the_tiny_suite(tiny_context, synth_row, synth_tiny_root, one_thread):
    from core.eval.grounding import evaluate_grounding

    ctx = tiny_context
    row, index = synth_row(synth_tiny_root, "synth-msrvtt", "msrvtt")
    outcome = evaluate_grounding(ctx, row, index)
    assert outcome.split == "test" and outcome.n == outcome.protocol["objects_scored"] > 0
    for metric in ("group_object_iou", "group_iou_with_bg", "noun_region_acc"):
        assert 0 <= outcome.metrics[metric] <= 100 and 0 <= outcome.chance[metric] <= 100
    assert outcome.protocol["videos"] == len(index.split("test"))

    with np.load(ctx.target.eval_dir / outcome.details["assignment_maps"]) as data:
        maps, frames, groups = data["maps"], data["frames"], int(data["num_groups"])
    vcfg = ctx.model.cfg.video
    V = min(6, len(index.split("test")))
    assert maps.shape == (V, vcfg.num_frames // vcfg.tubelet, vcfg.image_size, vcfg.image_size)
    assert frames.shape == (V, vcfg.num_frames, vcfg.image_size, vcfg.image_size, 3)
    assert maps.dtype == frames.dtype == np.uint8 and groups == vcfg.num_groups and maps.max() < groups

    again = evaluate_grounding(ctx, row, index)  # from the feature cache
    assert again.metrics == outcome.metrics


def test_a_missing_video_is_left_out(tmp_path, tiny_context, synth_row, synth_tiny_root, one_thread):
    import shutil

    from core.eval.grounding import evaluate_grounding

    shutil.copytree(synth_tiny_root / "synth-msrvtt", tmp_path / "synth-msrvtt")
    row, index = synth_row(tmp_path, "synth-msrvtt", "msrvtt")
    (tmp_path / "synth-msrvtt" / index.split("test")[0].video).unlink()
    outcome = evaluate_grounding(tiny_context, row, index)
    videos = len(index.split("test"))
    assert outcome.protocol["videos"] == videos - 1 and outcome.protocol["coverage"] == pytest.approx(1 - 1 / videos)
