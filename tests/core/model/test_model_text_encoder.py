"""Text tower: offline MiniLM weights and tokenizer, pooling, padding invariance."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from core.errors import UserError
from core.model import TextConfig, TextEncoder, load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(TextConfig())


def test_tokenizer_is_the_bert_uncased_vocab(tokenizer) -> None:
    assert tokenizer.vocab_size == 30522
    ids = tokenizer("A photo of a red circle.")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id


def test_minilm_ranks_a_paraphrase_above_an_unrelated_sentence(tokenizer) -> None:
    encoder = TextEncoder(TextConfig(pretrained="minilm", pooling="mean"), embed_dim=64).eval()
    assert encoder.width == 384
    sentences = ["A man is playing a guitar.", "Someone plays the guitar.", "The stock market fell sharply today."]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        feats = F.normalize(encoder.pooled(batch["input_ids"], batch["attention_mask"]), dim=-1)  # [3, 384]
        emb = encoder.encode(batch["input_ids"], batch["attention_mask"])  # [3, 64]
    assert feats[0] @ feats[1] > feats[0] @ feats[2] + 0.3
    assert emb.shape == (3, 64)


def test_padding_does_not_change_embeddings(tokenizer) -> None:
    torch.manual_seed(0)
    encoder = TextEncoder(TextConfig(width=32, depth=2, heads=2, mlp_dim=64, pooling="mean"), embed_dim=16).eval()
    short = tokenizer(["a blue square"], return_tensors="pt")
    padded = tokenizer(["a blue square"], padding="max_length", max_length=20, return_tensors="pt")
    with torch.no_grad():
        for pooling in ("cls", "mean"):
            a = encoder.encode(short["input_ids"], short["attention_mask"], pooling)
            b = encoder.encode(padded["input_ids"], padded["attention_mask"], pooling)
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_frozen_layers_have_no_gradient_flags() -> None:
    encoder = TextEncoder(TextConfig(pretrained="minilm", frozen_layers=4), embed_dim=32)
    frozen = {n for n, p in encoder.named_parameters() if not p.requires_grad}
    assert any(n.startswith("bert.embeddings") for n in frozen)
    assert any(n.startswith("bert.encoder.layer.3.") for n in frozen)
    assert not any(n.startswith("bert.encoder.layer.4.") for n in frozen)
    assert "proj.weight" not in frozen


def test_missing_local_dir_is_a_user_error() -> None:
    with pytest.raises(UserError):
        TextEncoder(TextConfig(pretrained="/nonexistent/bert"), embed_dim=8)
