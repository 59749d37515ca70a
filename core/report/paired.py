"""Paired differences over seeds: variant minus baseline, seed by seed, with a standard error.

Two variants trained with the same seed share initialisation, data order and cut-and-paste
partners, so their per-seed difference cancels most of the seed-to-seed spread that the
per-variant mean ± std carries. Only seeds that both variants ran are paired; a seed that only
one of them has is left out.

  d_s  = variant_s - baseline_s            for s in the seeds both ran (n of them)
  mean = sum_s d_s / n
  SE   = std(d) / sqrt(n)                  sample std (n - 1); no SE for n < 2
The verdict compares |mean| with two standard errors: "better" / "worse" (in the metric's own
direction: lower-is-better metrics flip) when it is more than 2 SE away from 0, "tie" within,
None without an SE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

SE_MULTIPLE = 2.0  # |mean| > 2 SE: the difference is reported as a finding


@dataclass(frozen=True)
class PairedDifference:
    mean: float
    se: float | None  # None when fewer than two seeds pair up
    seeds: tuple[int, ...]  # the seeds both variants ran, sorted

    @property
    def n(self) -> int:
        return len(self.seeds)


def paired_difference(variant: Mapping[int, float], baseline: Mapping[int, float]) -> PairedDifference | None:
    """Per-seed values of a variant and of the baseline -> their paired difference (None: no common seed)."""
    seeds = tuple(sorted(set(variant) & set(baseline)))
    if not seeds:
        return None
    diffs = [variant[seed] - baseline[seed] for seed in seeds]
    mean = sum(diffs) / len(diffs)
    if len(diffs) < 2:
        return PairedDifference(mean, None, seeds)
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    return PairedDifference(mean, std / math.sqrt(len(diffs)), seeds)


def verdict(diff: PairedDifference, lower_is_better: bool = False) -> str | None:
    """"better" | "worse" | "tie" against the baseline, or None without a standard error."""
    if diff.se is None:
        return None
    if abs(diff.mean) <= SE_MULTIPLE * diff.se:
        return "tie"
    improved = diff.mean < 0 if lower_is_better else diff.mean > 0
    return "better" if improved else "worse"
