"""Tiny pretrained stand-ins written the way users get them: `transformers` folders and timm-format files.

Random weights (no hub): a ViT saved with `save_pretrained` (plus an image processor with its own
mean/std), the same weights under timm's key names as a state-dict file with timm's `config.json`,
and a BERT folder with its tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

MEAN, STD = [0.5, 0.45, 0.4], [0.25, 0.2, 0.3]
VIT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, image_size=32,
           patch_size=8, layer_norm_eps=1e-12, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def save_vit(folder: Path, seed: int = 0):
    """A random tiny `ViTModel` saved to `folder` (with a `preprocessor_config.json`); returns the model."""
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(seed)
    vit = ViTModel(ViTConfig(**VIT)).eval()
    with torch.no_grad():  # non-trivial LayerNorms and biases, so a mix-up cannot go unnoticed
        for name, p in vit.named_parameters():
            if p.ndim == 1 or "token" in name or "position" in name:
                p.add_(0.1 * torch.randn_like(p))
    vit.save_pretrained(folder)
    ViTImageProcessor(image_mean=MEAN, image_std=STD, size={"height": 32, "width": 32}).save_pretrained(folder)
    return vit


def timm_state(folder: Path) -> dict[str, torch.Tensor]:
    """The weights of the ViT saved in `folder` under timm's `VisionTransformer` names (written out by
    hand, as timm lays them), from the names `save_pretrained` writes."""
    from safetensors.torch import load_file

    s = load_file(str(folder / "model.safetensors"))
    depth = 1 + max(int(k.split(".")[2]) for k in s if k.startswith("encoder.layer."))
    out = {"cls_token": s["embeddings.cls_token"], "pos_embed": s["embeddings.position_embeddings"],
           "patch_embed.proj.weight": s["embeddings.patch_embeddings.projection.weight"],
           "patch_embed.proj.bias": s["embeddings.patch_embeddings.projection.bias"],
           "norm.weight": s["layernorm.weight"], "norm.bias": s["layernorm.bias"],
           "head.weight": torch.zeros(10, 32), "head.bias": torch.zeros(10)}
    for i in range(depth):
        hf = f"encoder.layer.{i}."
        for kind in ("weight", "bias"):
            out[f"blocks.{i}.attn.qkv.{kind}"] = torch.cat([s[f"{hf}attention.attention.{p}.{kind}"]
                                                           for p in ("query", "key", "value")])
            out[f"blocks.{i}.norm1.{kind}"] = s[f"{hf}layernorm_before.{kind}"]
            out[f"blocks.{i}.attn.proj.{kind}"] = s[f"{hf}attention.output.dense.{kind}"]
            out[f"blocks.{i}.norm2.{kind}"] = s[f"{hf}layernorm_after.{kind}"]
            out[f"blocks.{i}.mlp.fc1.{kind}"] = s[f"{hf}intermediate.dense.{kind}"]
            out[f"blocks.{i}.mlp.fc2.{kind}"] = s[f"{hf}output.dense.{kind}"]
    return {k: v.clone().contiguous() for k, v in out.items()}


def save_timm(vit_folder: Path, file: Path) -> Path:
    """The weights of the ViT in `vit_folder` as a timm-format file (`.safetensors` or `.pth`) with
    timm's config.json beside it."""
    file.parent.mkdir(parents=True, exist_ok=True)
    state = timm_state(vit_folder)
    if file.suffix == ".safetensors":
        save_file(state, str(file))
    else:
        torch.save(state, file)
    (file.parent / "config.json").write_text(json.dumps({
        "architecture": "vit_tiny_test", "num_classes": 10, "model_args": {"num_heads": 2},
        "pretrained_cfg": {"mean": MEAN, "std": STD}}))
    return file


def save_bert(folder: Path, seed: int = 0, vocab_from: str = "minilm"):
    """A random 2-layer BERT (width 32) saved with the MiniLM tokenizer's vocabulary; returns the model."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from core.model.sources import resolve_source

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_source(vocab_from, "test")), local_files_only=True)
    torch.manual_seed(seed)
    bert = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=64, max_position_embeddings=64), add_pooling_layer=False).eval()
    bert.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return bert
