"""Pretrained initialisation of both towers: the config resolved against the checkpoints, and the record.

`resolve_model_config` fills in what a pretrained tower takes from its checkpoint (the video
tower's width, depth, heads, patch, MLP ratio, LayerNorm eps and pixel mean/std from the 2D ViT;
the text tower's sizes from the BERT config), so that a run's saved config names the model that
was trained. `describe_initialization` is the one line reports print in the protocol footnote.
"""

from __future__ import annotations

from typing import Any

from core.config import validate_config
from core.model.config import ModelConfig, TextConfig, VideoConfig


def resolve_model_config(cfg: ModelConfig) -> ModelConfig:
    """`cfg` with each pretrained tower's architecture taken from its checkpoint (a `UserError` when a
    source is missing, unreadable, or does not fit the rest of the config)."""
    video, text = cfg.video, cfg.text
    if video.pretrained is not None:
        from core.model.vit_checkpoint import open_vit

        arch = open_vit(video.pretrained).arch
        update: dict[str, Any] = {"width": arch.width, "depth": arch.depth, "heads": arch.heads, "patch": arch.patch,
                                  "mlp_ratio": arch.mlp_ratio, "norm_eps": arch.norm_eps}
        if arch.mean is not None and arch.std is not None:
            update.update(mean=list(arch.mean), std=list(arch.std))
        video = validate_config(VideoConfig, {**video.to_dict(), **update}, "model.video")
    if text.pretrained is not None:
        from core.model.text_encoder import bert_config

        bert = bert_config(text)
        text = validate_config(TextConfig, {
            **text.to_dict(), "vocab_size": bert.vocab_size, "width": bert.hidden_size, "depth": bert.num_hidden_layers,
            "heads": bert.num_attention_heads, "mlp_dim": bert.intermediate_size,
            "max_positions": bert.max_position_embeddings,
        }, "model.text")
        if max(text.caption_len, text.prompt_len) > text.max_positions:
            from core.errors import UserError

            raise UserError(f"model.text.caption_len/prompt_len exceed the model's {text.max_positions} positions")
    return cfg.model_copy(update={"video": video, "text": text})


def describe_initialization(init: dict[str, Any]) -> str:
    """One line for a report footnote, e.g. `init [choice: the paper names none]: video from <source>
    (transformers, average inflation); text from <source> (bert)`."""
    parts = []
    for tower in ("video", "text"):
        entry = init.get(tower) or {}
        source = entry.get("source")
        if not source:
            parts.append(f"{tower} random")
            continue
        how = f", {entry['inflate']} inflation" if entry.get("inflate") else ""
        parts.append(f"{tower} from {source} ({entry.get('format')}{how})")
    return "init [choice: the paper names none]: " + "; ".join(parts)
