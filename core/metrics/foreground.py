"""Foreground/background separation of pasted clips: pure functions over clip features and masks.

Shape letters: N clips, Nt temporal positions, C feature width, Q two-way partitions.

The unsupervised score does not look at the paste mask: per clip, the positions' L2-normalised
features are split into two groups by **exact 2-means** (the split into two non-empty groups with
the smallest within-group sum of squared distances to the group means, found by enumerating all
2^(Nt-1) - 1 splits; Lloyd's algorithm from the two most distant positions beyond `EXACT_MAX`
positions), and each clip's groups are matched to foreground/background the way that agrees best
with its mask. Accuracy is the share of agreeing positions over all clips (percent).
Its chance level is the same score for a split drawn uniformly among the non-empty two-way splits
(the expectation, computed exactly); the mask-centred variant's chance is the best constant
prediction (the larger of the foreground and background shares); the soft mask-centred score's
is 50 (p = 0.5 everywhere).
"""

from __future__ import annotations

import itertools

import numpy as np

EXACT_MAX = 12  # positions up to which 2-means enumerates every split (2047 splits at 12)


def partitions(nt: int) -> np.ndarray:
    """bool [Q, Nt]: every split of Nt positions into two non-empty groups, position 0 in group False."""
    if nt < 2:
        raise ValueError("a split needs at least 2 positions")
    rows = [(False, *bits) for bits in itertools.product((False, True), repeat=nt - 1) if any(bits)]
    return np.array(rows, dtype=bool)


def two_means(z: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Features z [Nt, C] -> bool [Nt] group of each position (2-means on L2-normalised rows)."""
    x = z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-12)  # [Nt, C]
    nt = len(x)
    if nt <= EXACT_MAX:
        split = partitions(nt)  # [Q, Nt]
        ones = split.astype(x.dtype)
        n1 = ones.sum(1)  # [Q]
        s1 = ones @ x  # [Q, C]
        s0 = x.sum(0)[None] - s1  # [Q, C]
        # SSE = sum |x|^2 - |S0|^2 / n0 - |S1|^2 / n1: minimise by maximising the subtracted terms.
        gain = (s0 ** 2).sum(1) / (nt - n1) + (s1 ** 2).sum(1) / n1  # [Q]
        return split[int(np.argmax(gain))]
    gram = x @ x.T
    a, b = np.unravel_index(int(np.argmin(gram)), gram.shape)
    centres = x[[a, b]]  # [2, C]
    group = np.arange(nt) == b  # a non-empty split to fall back on
    for _ in range(max_iter):
        dist = ((x[:, None] - centres[None]) ** 2).sum(-1)  # [Nt, 2]
        new = dist[:, 1] < dist[:, 0]
        if new.all() or not new.any() or np.array_equal(new, group):
            break
        group = new
        centres = np.stack([x[~group].mean(0), x[group].mean(0)])
    return group


def matched_agreement(groups: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """groups bool [N, Nt], mask [N, Nt] 0/1 -> agreeing positions [N] under each clip's better matching."""
    agree = (groups == mask.astype(bool)).sum(1)  # [N]
    return np.maximum(agree, mask.shape[1] - agree)


def clustered_accuracy(clip: np.ndarray, mask: np.ndarray) -> float:
    """clip z [N, Nt, C], mask [N, Nt] -> percent of positions that 2-means + best matching gets right."""
    groups = np.stack([two_means(z) for z in clip])  # [N, Nt]
    return 100.0 * float(matched_agreement(groups, mask).sum()) / mask.size


def random_split_chance(mask: np.ndarray) -> float:
    """The expected `clustered_accuracy` of a split drawn uniformly among the non-empty two-way splits."""
    split = partitions(mask.shape[1])  # [Q, Nt]
    total = sum(float(matched_agreement(split, np.broadcast_to(row, split.shape)).mean()) for row in mask)
    return 100.0 * total / mask.size


def thresholded_accuracy(probability: np.ndarray, mask: np.ndarray) -> float:
    """p [N, Nt] foreground probabilities, mask [N, Nt] -> percent of positions with (p > 0.5) == mask."""
    return 100.0 * float(((probability > 0.5) == mask.astype(bool)).mean())


def soft_accuracy(probability: np.ndarray, mask: np.ndarray) -> float:
    """Mean probability given to the right side, p where m = 1 and 1 - p where m = 0 (percent):
    1 - mean |p - m|, the quantity L_t's squared error pushes up. Features that do not tell the
    sides apart give p = 0.5 everywhere, i.e. 50."""
    m = mask.astype(np.float64)
    return 100.0 * float((probability * m + (1 - probability) * (1 - m)).mean())


def constant_chance(mask: np.ndarray) -> float:
    """The best constant prediction's accuracy: the larger of the foreground and background shares."""
    share = float(mask.astype(bool).mean())
    return 100.0 * max(share, 1.0 - share)
