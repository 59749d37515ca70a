"""Video tower: input dtypes, foreground pooling, regions switch, gradient checkpointing."""

from __future__ import annotations

import torch

from core.model import create_model


def _frames(B: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (B, 4, 3, 32, 32), dtype=torch.uint8, generator=g)


def test_uint8_and_float_frames_agree() -> None:
    torch.manual_seed(0)
    model = create_model("tiny").eval()
    frames = _frames()
    a = model.encode_video(frames)
    b = model.encode_video(frames.float() / 255.0)
    torch.testing.assert_close(a.tokens, b.tokens, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(a.embedding, b.embedding, rtol=1e-4, atol=1e-4)


def test_pool_mask_selects_positions() -> None:
    torch.manual_seed(0)
    model = create_model("tiny").eval()
    frames = _frames()
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])  # [B, Nt]
    out = model.encode_video(frames, pool_mask=mask)
    pooled = torch.stack([out.clip[0, :2].mean(0), out.clip[1, 3]])  # [B, C]
    ref = torch.nn.functional.normalize(model.video.proj(pooled), dim=-1)
    torch.testing.assert_close(out.embedding, ref)
    whole = model.encode_video(frames, pool_mask=torch.ones(2, 4))
    torch.testing.assert_close(whole.embedding, model.encode_video(frames).embedding)


def test_without_regions_skips_the_final_grouping_block() -> None:
    torch.manual_seed(0)
    model = create_model("tiny").eval()
    frames = _frames()
    full, light = model.encode_video(frames), model.encode_video(frames, with_regions=False)
    assert light.regions is None and light.assignment is None
    torch.testing.assert_close(full.tokens, light.tokens)


def test_grad_checkpointing_gives_the_same_outputs_and_gradients() -> None:
    frames = _frames()
    results = []
    for ckpt in (False, True):
        torch.manual_seed(0)
        model = create_model("tiny", **{"video.grad_checkpointing": ckpt}).train()
        torch.manual_seed(1)  # same Gumbel draws in both runs
        out = model.encode_video(frames)
        (out.embedding.sum() + out.regions.pow(2).sum() + out.clip.sum()).backward()
        grads = {n: p.grad.clone() for n, p in model.video.named_parameters() if p.grad is not None}
        results.append((out.regions.detach(), grads))
    torch.testing.assert_close(results[0][0], results[1][0])
    assert results[0][1].keys() == results[1][1].keys()
    for name, g in results[0][1].items():
        torch.testing.assert_close(g, results[1][1][name], rtol=1e-4, atol=1e-6, msg=name)
