"""The video tower from a 2D ViT: inflation, the position split, eps and pixel statistics, the record.

The reference is the `transformers` ViT itself. Up to the first grouping block, the tower's video
tokens for a static clip must be what the ViT's own layers compute for that image. Two things keep
them from being the ViT's plain output for the image alone, by design: the tower has no class token
(the issue drops it), and the group tokens take part in self-attention (the paper). So the reference
runs the ViT's layers on exactly the tokens the tower holds: the image's patch embeddings (from
`ViTModel.embeddings`, class token dropped) once per temporal position, then the group tokens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.errors import UserError
from core.model import ModelConfig, SViLM
from tests.core.model.pretrained_helpers import MEAN, STD, save_timm, save_vit

FRAMES, TUBELET = 4, 2


@pytest.fixture(scope="module")
def vit_dir(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("vit")
    return folder, save_vit(folder)


def _model(source: str, **video) -> SViLM:
    cfg = ModelConfig.from_dict({"preset": "tiny", "video": {"pretrained": source, "num_frames": FRAMES,
                                                             "tubelet": TUBELET, "grouping_after": [2], **video}})
    torch.manual_seed(0)
    return SViLM(cfg).eval()


def _image(size: int = 32, seed: int = 3) -> torch.Tensor:
    return torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(seed))  # [1, 3, S, S] in [0, 1]


def _pixels(image: torch.Tensor) -> torch.Tensor:
    """What `ViTImageProcessor` feeds the ViT: (x - mean) / std."""
    return (image - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def _static_clip(image: torch.Tensor) -> torch.Tensor:
    return image[:, None].expand(-1, FRAMES, -1, -1, -1).contiguous()  # [1, T, 3, S, S]


def test_config_takes_the_checkpoint_architecture(vit_dir) -> None:
    folder, _ = vit_dir
    cfg = _model(str(folder)).cfg.video
    assert (cfg.width, cfg.depth, cfg.heads, cfg.patch, cfg.mlp_ratio) == (32, 2, 2, 8, 2.0)
    assert cfg.norm_eps == 1e-12 and list(cfg.mean) == MEAN and list(cfg.std) == STD


@torch.no_grad()
def test_static_clip_embeds_like_the_image_at_every_time(vit_dir) -> None:
    folder, vit = vit_dir
    model, image = _model(str(folder)), _image()
    tokens = model.video.embed(_static_clip(image))  # [1, Nt, Ns, C]
    expected = vit.embeddings(_pixels(image))[:, 1:]  # [1, Ns, C], class token dropped
    for t in range(FRAMES // TUBELET):
        torch.testing.assert_close(tokens[:, t], expected, rtol=0, atol=1e-5)


@torch.no_grad()
def test_layers_up_to_the_first_grouping_block_are_the_vits(vit_dir) -> None:
    folder, vit = vit_dir
    model, image = _model(str(folder)), _image()
    tower = model.video
    captured = {}
    tower.blocks[1].register_forward_hook(lambda _m, _i, out: captured.setdefault("h", out))
    out = tower(_static_clip(image))
    Nt, Ns = FRAMES // TUBELET, 16
    patches = vit.embeddings(_pixels(image))[:, 1:]  # [1, Ns, C]
    sequence = torch.cat([patches.repeat(1, Nt, 1), tower.group_tokens], dim=1)  # [1, Nt*Ns + M, C]
    hidden = sequence
    for layer in vit.layers:
        result = layer(hidden)
        hidden = result[0] if isinstance(result, tuple) else result
    torch.testing.assert_close(captured["h"], hidden, rtol=0, atol=1e-5)  # video and group tokens
    final = vit.layernorm(hidden[:, : Nt * Ns]).reshape(1, Nt, Ns, -1)  # the ViT's last LayerNorm (eps 1e-12)
    torch.testing.assert_close(out.tokens, final, rtol=0, atol=1e-5)
    for t in range(1, Nt):  # the temporal table starts at zero: every position sees the same
        torch.testing.assert_close(out.tokens[:, t], out.tokens[:, 0], rtol=0, atol=1e-6)


def test_the_record_counts_what_was_loaded(vit_dir) -> None:
    folder, _ = vit_dir
    model = _model(str(folder))
    init = model.initialization["video"]
    total = len(model.video.state_dict())
    assert init["source"] == str(folder) and init["format"] == "transformers" and init["inflate"] == "average"
    assert init["loaded"] == 2 + 2 * 12 + 2 + 1  # patch kernel + bias, 2 blocks, final norm, spatial table
    assert init["inflated"] == 1 and init["interpolated"] == 0 and init["new"] == total - init["loaded"]
    assert init["ignored"] == 3  # class token, pooler weight and bias
    assert list(init["sha256"]) == ["model.safetensors"] and len(init["sha256"]["model.safetensors"]) == 64
    assert model.initialization["text"]["source"] is None


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_a_timm_state_dict_gives_the_same_tower(vit_dir, tmp_path: Path, suffix: str) -> None:
    folder, _ = vit_dir
    file = save_timm(folder, tmp_path / f"vit{suffix}")
    from_timm, from_hf = _model(str(file)), _model(str(folder))
    assert from_timm.cfg.video.norm_eps == 1e-6  # timm's ViTs; the transformers config says 1e-12
    assert from_timm.cfg.video == from_hf.cfg.video.model_copy(update={"pretrained": str(file), "norm_eps": 1e-6})
    hf_state, timm_state = from_hf.video.state_dict(), from_timm.video.state_dict()
    loaded = ["patch_embed.proj.weight", "pos_embed.spatial", "pos_embed.temporal", "blocks.1.attn.qkv.weight",
              "blocks.0.mlp.fc2.bias", "norm.weight"]
    for name in loaded:
        torch.testing.assert_close(timm_state[name], hf_state[name], rtol=0, atol=0)
    init = from_timm.initialization["video"]
    assert (init["format"], init["loaded"], init["ignored"]) == ("timm", 29, 3)  # class token, head weight and bias


@torch.no_grad()
def test_a_resolution_change_interpolates_the_position_table(vit_dir) -> None:
    folder, vit = vit_dir
    model, image = _model(str(folder), image_size=64), _image(64)
    assert model.initialization["video"]["interpolated"] == 1
    tokens = model.video.embed(_static_clip(image))  # [1, Nt, 64, C]
    expected = vit.embeddings(_pixels(image), interpolate_pos_encoding=True)[:, 1:]  # [1, 64, C]
    torch.testing.assert_close(tokens[:, 0], expected, rtol=0, atol=1e-5)


@torch.no_grad()
def test_center_inflation_sees_only_the_middle_frame(vit_dir) -> None:
    folder, vit = vit_dir
    model = _model(str(folder), inflate="center")
    clip = torch.rand(1, FRAMES, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    tokens = model.video.embed(clip)  # [1, Nt, Ns, C]
    for t in range(FRAMES // TUBELET):
        middle = clip[:, t * TUBELET + TUBELET // 2]  # [1, 3, S, S]
        torch.testing.assert_close(tokens[:, t], vit.embeddings(_pixels(middle))[:, 1:], rtol=0, atol=1e-5)


def test_a_checkpoint_with_nothing_matching_is_a_user_error(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    file = tmp_path / "other.safetensors"
    save_file({"encoder.weight": torch.zeros(4, 4), "decoder.bias": torch.zeros(4)}, str(file))
    with pytest.raises(UserError, match="no ViT tensors"):
        _model(str(file))


def test_a_bert_folder_is_not_a_vit(tmp_path: Path) -> None:
    from tests.core.model.pretrained_helpers import save_bert

    save_bert(tmp_path / "bert")
    with pytest.raises(UserError, match="not a ViT"):
        _model(str(tmp_path / "bert"))


def test_a_missing_path_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no such file or folder"):
        _model("/nonexistent/vit.safetensors")
