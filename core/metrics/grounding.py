"""Grounding quality on synthetic ground truth: pure functions over token labels and group assignments.

Shape letters: L video tokens (Nt * Ns), M groups, K classes compared (objects, maybe background),
P (video, object) pairs.

- IoU of a class with a group: |tokens of the class AND tokens of the group| / |OR| (0 when both
  are empty).
- Best IoU of an object: the maximum over the M groups. `group_object_iou` averages it over every
  scored (video, object) pair; its chance level permutes the assignment across the video's tokens
  (same group sizes, no relation to the content), averaged over a few seeds.
- Noun -> region hit: the group m* the object's phrase attends to most is correct when, among the
  video's scored objects, the object with the largest IoU with m* is the named one (a group that
  overlaps no object is a miss; IoU ties go to the lower object index). Chance: the expected hit
  rate when m* is drawn uniformly from the M groups, computed exactly from the assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHANCE_SEEDS = (0, 1, 2, 3, 4)


def iou_matrix(labels: np.ndarray, groups: np.ndarray, classes: Sequence[int], num_groups: int) -> np.ndarray:
    """labels [L] (class per token), groups [L] (group per token) -> IoU [K, M] of each listed class."""
    member = labels[None, :] == np.asarray(classes)[:, None]  # [K, L]
    assigned = groups[None, :] == np.arange(num_groups)[:, None]  # [M, L]
    inter = member.astype(np.int64) @ assigned.T.astype(np.int64)  # [K, M]
    union = member.sum(1, keepdims=True) + assigned.sum(1)[None, :] - inter  # [K, M]
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def present_objects(labels: np.ndarray, objects: Sequence[int]) -> list[int]:
    """The objects (label values) that own at least one token, in the given order."""
    found = set(np.unique(labels).tolist())
    return [k for k in objects if k in found]


def permuted_best_iou(labels: np.ndarray, groups: np.ndarray, classes: Sequence[int], num_groups: int,
                      seeds: Sequence[int] = CHANCE_SEEDS) -> np.ndarray:
    """Best IoU [K] of each class against a content-blind assignment with the same group sizes
    (the tokens' groups permuted), averaged over `seeds`."""
    runs = [iou_matrix(labels, np.random.default_rng(seed).permutation(groups), classes, num_groups).max(1)
            for seed in seeds]
    return np.mean(runs, axis=0)


def named_object_hits(iou: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """iou [K, M] of the video's objects, chosen [K] (the group object k's phrase picked) -> hit bool [K]."""
    if len(chosen) == 0:
        return np.zeros(0, dtype=bool)
    columns = iou[:, chosen]  # [K objects compared, K named]: column j = IoUs with group chosen[j]
    winner = columns.argmax(0)  # [K]
    return (winner == np.arange(len(chosen))) & (columns.max(0) > 0)


def random_group_hits(iou: np.ndarray) -> np.ndarray:
    """Expected hit rate [K] when each phrase picks one of the M groups uniformly at random."""
    hits = np.stack([named_object_hits(iou, np.full(iou.shape[0], m)) for m in range(iou.shape[1])])  # [M, K]
    return hits.mean(0)


@dataclass
class VideoGrounding:
    """One video's scores; per-object arrays follow `objects`."""

    objects: list[int]  # scored objects (label values that own tokens)
    best_iou: np.ndarray  # [K] best IoU over groups, fraction
    best_iou_chance: np.ndarray  # [K] the same for permuted assignments
    background_iou: float  # best IoU of the background class
    background_iou_chance: float
    hits: np.ndarray | None  # [K] noun -> region hits (None without phrases)
    random_group_hits: np.ndarray | None  # [K] expected hits of a uniformly random group choice


def score_video(labels: np.ndarray, groups: np.ndarray, objects: Sequence[int], num_groups: int,
                chosen: dict[int, int] | None = None, seeds: Sequence[int] = CHANCE_SEEDS) -> VideoGrounding:
    """labels [L] token labels (0 background), groups [L] the hard assignment, objects the video's
    object label values, chosen {object: group its phrase attends to most} -> `VideoGrounding`."""
    scored = present_objects(labels, objects)
    classes = [0, *scored]
    iou = iou_matrix(labels, groups, classes, num_groups)  # [1+K, M]
    chance = permuted_best_iou(labels, groups, classes, num_groups, seeds)  # [1+K]
    hits = random_hits = None
    if chosen is not None:
        named = [k for k in scored if k in chosen]
        if named != scored:
            raise ValueError(f"objects {sorted(set(scored) - set(named))} have no chosen group")
        hits = named_object_hits(iou[1:], np.array([chosen[k] for k in scored], dtype=np.int64))
        random_hits = random_group_hits(iou[1:])
    background = 0 in set(labels.tolist())
    return VideoGrounding(
        objects=scored, best_iou=iou[1:].max(1), best_iou_chance=chance[1:],
        background_iou=float(iou[0].max()) if background else float("nan"),
        background_iou_chance=float(chance[0]) if background else float("nan"),
        hits=hits, random_group_hits=random_hits,
    )


def summarise(videos: Sequence[VideoGrounding]) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(metrics, chance, extras) in percent over the scored (video, object) pairs.

    `group_iou_with_bg` averages, per video, the best IoU of every class including the background,
    then over videos. `noun_region_acc`'s chance is the hit rate of a phrase that picks one of the M
    groups uniformly at random (given the video's assignment): a group that covers only background
    is a miss, so "one of the n objects" (1 / n, `noun_region_acc_one_of_objects`) overstates it.
    """
    best = _cat([v.best_iou for v in videos])
    best_chance = _cat([v.best_iou_chance for v in videos])
    with_bg, with_bg_chance = [], []
    for v in videos:
        values = [v.best_iou, [v.background_iou]] if not np.isnan(v.background_iou) else [v.best_iou]
        chances = [v.best_iou_chance, [v.background_iou_chance]] if not np.isnan(v.background_iou) \
            else [v.best_iou_chance]
        if len(np.concatenate(values)):
            with_bg.append(np.concatenate(values).mean())
            with_bg_chance.append(np.concatenate(chances).mean())
    metrics = {"group_object_iou": _pct(best), "group_iou_with_bg": _pct(np.array(with_bg))}
    chance = {"group_object_iou": _pct(best_chance), "group_iou_with_bg": _pct(np.array(with_bg_chance))}
    extras: dict[str, float] = {"pairs": float(len(best))}
    phrased = [v for v in videos if v.hits is not None]
    if phrased:
        metrics["noun_region_acc"] = _pct(_cat([v.hits for v in phrased]))
        chance["noun_region_acc"] = _pct(_cat([v.random_group_hits for v in phrased]))
        extras["noun_region_acc_one_of_objects"] = _pct(_cat([np.full(len(v.objects), 1 / max(len(v.objects), 1))
                                                              for v in phrased]))
    return metrics, chance, extras


def _cat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _pct(values: np.ndarray) -> float:
    return 100.0 * float(np.mean(values)) if len(values) else float("nan")
