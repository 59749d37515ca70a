"""Train and eval transforms: shapes, uint8, one crop and flip per clip, seeded."""

from __future__ import annotations

import numpy as np
import torch

from core.data.transforms import EvalTransform, TrainTransform


def clip(t: int = 4, h: int = 48, w: int = 80) -> np.ndarray:
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[..., 0] = np.arange(w, dtype=np.uint8)[None, None, :] * 3  # red grows left to right
    frames[..., 1] = (np.arange(t, dtype=np.uint8) * 40)[:, None, None]
    return frames


def test_train_transform_shape_dtype_and_seed():
    transform = TrainTransform(32)
    out = transform(clip(), np.random.default_rng(3))
    assert out.shape == (4, 3, 32, 32) and out.dtype == torch.uint8 and out.is_contiguous()
    again = transform(clip(), np.random.default_rng(3))
    assert torch.equal(out, again)
    others = [transform(clip(), np.random.default_rng(s)) for s in range(6)]
    assert any(not torch.equal(out, o) for o in others)


def test_train_transform_is_consistent_across_frames():
    frames = clip()
    frames[..., 1] = 0  # every frame identical
    out = TrainTransform(32)(frames, np.random.default_rng(0))
    assert all(torch.equal(out[0], out[t]) for t in range(1, 4))


def test_flip_reverses_the_gradient():
    transform = TrainTransform(32, scale=(1.0, 1.0), ratio=(80 / 48, 80 / 48), flip=1.0)
    out = transform(clip(), np.random.default_rng(0))
    assert out[0, 0, 0, 0] > out[0, 0, 0, -1]  # red decreases after a flip


def test_eval_transform_centre_and_three_crops():
    transform = EvalTransform(32, crops=3)
    centre = transform(clip())
    assert centre.shape == (4, 3, 32, 32) and centre.dtype == torch.uint8
    views = transform.views(clip())
    assert views.shape == (3, 4, 3, 32, 32)
    assert torch.equal(views[1], centre)
    assert views[0, 0, 0, 0, 0] < views[2, 0, 0, 0, 0]  # left crop is darker red than the right one
