"""Train and eval transforms: shapes, uint8, one crop and flip per clip, seeded."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from core.data.transforms import EvalTransform, TrainTransform, stack_frames


def clip(t: int = 4, h: int = 48, w: int = 80) -> np.ndarray:
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[..., 0] = np.arange(w, dtype=np.uint8)[None, None, :] * 3  # red grows left to right
    frames[..., 1] = (np.arange(t, dtype=np.uint8) * 40)[:, None, None]
    return frames


def test_train_transform_shape_dtype_and_seed():
    transform = TrainTransform(32)
    out = transform(clip(), np.random.default_rng(3))
    assert out.shape == (4, 3, 32, 32) and out.dtype == torch.uint8
    assert out.permute(0, 2, 3, 1).is_contiguous()  # a channels-first view of channels-last memory
    again = transform(clip(), np.random.default_rng(3))
    assert torch.equal(out, again)
    others = [transform(clip(), np.random.default_rng(s)) for s in range(6)]
    assert any(not torch.equal(out, o) for o in others)


def test_train_transform_equals_crop_resize_mirror_done_by_hand():
    """Resizing into one buffer and flipping through scratch gives the pixels of the plain recipe:
    crop, resize each frame, mirror, transpose to channels-first."""
    transform = TrainTransform(32)
    frames = np.random.default_rng(0).integers(0, 256, (4, 48, 80, 3), dtype=np.uint8)
    for seed in range(8):
        (top, left, h, w), flip = transform.draw(48, 80, np.random.default_rng(seed))
        crop = frames[:, top : top + h, left : left + w]
        expected = np.stack([cv2.resize(f, (32, 32), interpolation=cv2.INTER_LINEAR) for f in crop])
        expected = expected[:, :, ::-1] if flip else expected
        out = transform(frames, np.random.default_rng(seed))
        assert torch.equal(out, torch.from_numpy(expected.transpose(0, 3, 1, 2).copy())), seed


def test_collated_batch_keeps_channels_last_memory():
    """Stacking channels-first views (torch or numpy, as the collations do) copies each clip once,
    keeping its channels-last memory: the batch reads as [B, T, 3, S, S] and equals the items."""
    items = [TrainTransform(32)(clip(), np.random.default_rng(s)) for s in range(3)]
    for batch in (torch.stack(items), torch.from_numpy(np.stack([it.numpy() for it in items]))):
        assert batch.shape == (3, 4, 3, 32, 32)
        assert batch.permute(0, 1, 3, 4, 2).is_contiguous()
        assert all(torch.equal(batch[i], items[i]) for i in range(3))


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


def _stack_and_report_sharing(clips):
    batch = stack_frames(clips)
    return batch, batch.is_shared()


def test_stack_frames_in_a_worker_writes_shared_memory():
    """In a worker the batch is born in shared memory (the queue then sends a handle, no copy);
    in the main process it is ordinary memory. Both equal the clips, with channels-last memory."""
    clips = [TrainTransform(32)(clip(), np.random.default_rng(s)) for s in range(4)]
    here = stack_frames(clips)
    assert not here.is_shared() and here.permute(0, 1, 3, 4, 2).is_contiguous()
    loader = torch.utils.data.DataLoader(clips, batch_size=4, num_workers=1, collate_fn=_stack_and_report_sharing)
    batch, shared_in_worker = next(iter(loader))
    assert shared_in_worker
    assert torch.equal(batch, here) and torch.equal(batch[2], clips[2])
