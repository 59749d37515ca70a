"""Turn metric inputs (numpy arrays, torch tensors, nested lists) into numpy arrays.

Metrics are pure numpy; torch is imported lazily so that scoring files never needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def to_numpy(x: Any) -> np.ndarray:
    """Return `x` as a numpy array without copying when it already is one.

    torch tensors are detached and moved to the CPU; low-precision floats (bfloat16, which numpy
    lacks, and float16) become float32 so that comparisons and sums behave.
    """
    if isinstance(x, np.ndarray):
        arr = x
    elif type(x).__module__.startswith("torch"):
        t = x.detach().cpu()
        if t.is_floating_point() and t.element_size() < 4:
            t = t.float()
        arr = t.numpy()
    else:
        arr = np.asarray(x)
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    return arr


def check_indices(arr: np.ndarray, name: str, length: int, bound: int) -> None:
    """Raise ValueError unless `arr` is `length` integers in [0, bound) (labels, ground-truth ids)."""
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if length and (arr.min() < 0 or arr.max() >= bound):
        raise ValueError(f"{name} values must lie in [0, {bound})")


def check_numeric(arr: np.ndarray, name: str) -> None:
    """Raise ValueError unless `arr` holds real numbers (bool, int or float)."""
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
