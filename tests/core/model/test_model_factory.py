"""Preset sizes: parameter counts (base counted on the meta device) and tiny's output shapes."""

from __future__ import annotations

import pytest
import torch

from core.model import SViLM, build_config, count_parameters, count_preset_parameters, create_model

# Golden counts: a change here means the architecture changed; update them knowingly.
EXPECTED = {"tiny": 1_314_945, "small": 6_009_601, "base": 239_103_361, "base16": 239_097_217}


def test_tiny_count_and_budget() -> None:
    model = create_model("tiny")
    n = count_parameters(model)
    assert n == EXPECTED["tiny"]
    assert n < 2_000_000
    assert count_parameters(model, trainable_only=True) == n


def test_preset_counts_from_meta_device() -> None:
    for name in ("small", "base", "base16"):
        assert count_preset_parameters(name) == EXPECTED[name], name


def test_base_matches_the_paper_scale() -> None:
    model_cfg = build_config("base")
    assert (model_cfg.video.depth, model_cfg.video.width, model_cfg.video.heads) == (12, 768, 12)
    assert model_cfg.video.grouping_after == (6, 9, 12) and model_cfg.video.num_groups == 32
    with torch.device("meta"):
        model = SViLM(model_cfg)
    bert = count_parameters(model.text.bert)
    assert 105e6 < bert < 115e6  # BERT-base without the pooler: ~109.5M
    assert count_parameters(model.video.blocks) == 12 * 7_087_872  # ViT-B blocks
    assert count_preset_parameters("base", **{"video.num_frames": 16}) == EXPECTED["base16"]


def test_tiny_output_shapes() -> None:
    torch.manual_seed(0)
    model = create_model("tiny")
    cfg = model.cfg
    B, T, S = 3, cfg.video.num_frames, cfg.video.image_size
    frames = torch.randint(0, 256, (B, T, 3, S, S), dtype=torch.uint8)
    out = model.encode_video(frames)
    Nt, Ns = T // cfg.video.tubelet, (S // cfg.video.patch) ** 2
    assert Ns > 4
    C, M, D = cfg.video.width, cfg.video.num_groups, cfg.embed_dim
    assert out.tokens.shape == (B, Nt, Ns, C)
    assert out.clip.shape == (B, Nt, C)
    assert out.regions.shape == (B, M, D)
    assert out.embedding.shape == (B, D)
    assert out.assignment.shape == (B, M, Nt * Ns)
    torch.testing.assert_close(out.embedding.norm(dim=-1), torch.ones(B))
    torch.testing.assert_close(out.regions.norm(dim=-1), torch.ones(B, M))
    ids = torch.randint(1000, 2000, (B, 7))
    text = model.encode_text(ids, torch.ones_like(ids))
    assert text.shape == (B, D)
    assert abs(model.logit_scale().item() - 1 / 0.07) < 1e-4


def test_meta_count_of_a_pretrained_text_tower_matches_the_loaded_model() -> None:
    overrides = {"text.pretrained": "minilm"}
    assert count_preset_parameters("small", **overrides) == count_parameters(create_model("small", **overrides))


@pytest.mark.parametrize("preset", ["tiny", "small", "base"])
def test_parameters_stay_16_byte_aligned_when_flattened(preset):
    """DeepSpeed packs parameters in `named_parameters` order into one flat buffer: a parameter whose
    size is not a multiple of 8 elements shifts every later one off 16-byte alignment in bf16, and
    cuBLAS then falls back to slow kernels (half the step speed measured on an H200)."""
    with torch.device("meta"):
        model = SViLM(build_config(preset))
    offset, misaligned = 0, []
    for name, param in model.named_parameters():
        if offset % 8:
            misaligned.append(name)
        offset += param.numel()
    assert misaligned == []
