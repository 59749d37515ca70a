"""The text tower from a pretrained BERT: loading, its own tokenizer, refused tokenizers, hub ids offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from core.errors import UserError
from core.model import ModelConfig, SViLM, TextConfig, load_tokenizer
from core.model.sources import resolve_source
from tests.core.model.pretrained_helpers import save_bert


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("bert")
    return folder, save_bert(folder)


def _model(text: dict) -> SViLM:
    torch.manual_seed(0)
    return SViLM(ModelConfig.from_dict({"preset": "tiny", "text": text})).eval()


def test_a_saved_bert_loads_as_the_text_tower(bert_dir) -> None:
    folder, bert = bert_dir
    model = _model({"pretrained": str(folder)})
    cfg = model.cfg.text
    assert (cfg.width, cfg.depth, cfg.heads, cfg.mlp_dim, cfg.max_positions) == (32, 2, 2, 64, 64)
    assert cfg.tokenizer == str(folder)  # the model's own tokenizer by default
    for name, value in bert.state_dict().items():
        torch.testing.assert_close(model.text.bert.state_dict()[name], value, rtol=0, atol=0)
    init = model.initialization["text"]
    assert init["format"] == "bert" and init["loaded"] == len(bert.state_dict()) and init["new"] == 1  # the projection
    assert list(init["sha256"]) == ["model.safetensors"]


def test_the_tokenizer_is_the_models_own(bert_dir) -> None:
    folder, _ = bert_dir
    tokenizer = load_tokenizer(_model({"pretrained": str(folder)}).cfg.text)
    assert len(tokenizer) == 30522 and tokenizer("a red square")["input_ids"][0] == tokenizer.cls_token_id


def test_a_tokenizer_of_another_size_is_refused(bert_dir, tmp_path: Path) -> None:
    folder, _ = bert_dir
    other = tmp_path / "small-vocab"
    other.mkdir()
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "square"]
    (other / "vocab.txt").write_text("\n".join(words) + "\n")
    from transformers import BertTokenizerFast

    BertTokenizerFast(vocab_file=str(other / "vocab.txt")).save_pretrained(other)
    with pytest.raises(UserError, match=r"vocabulary has \d+ entries, the text model's 30522"):
        load_tokenizer(TextConfig(pretrained=str(folder), tokenizer=str(other)))


def test_a_tokenizer_of_the_same_size_but_another_vocabulary_is_refused(bert_dir, tmp_path: Path) -> None:
    folder, _ = bert_dir
    other = tmp_path / "shuffled"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns("*.safetensors"))
    spec = json.loads((other / "tokenizer.json").read_text())
    vocab = spec["model"]["vocab"]
    first, second = sorted(vocab, key=vocab.get)[2000:2002]
    vocab[first], vocab[second] = vocab[second], vocab[first]  # same size, two words swapped
    (other / "tokenizer.json").write_text(json.dumps(spec))
    with pytest.raises(UserError, match="not the one of model.text.pretrained"):
        load_tokenizer(TextConfig(pretrained=str(folder), tokenizer=str(other)))


def test_a_folder_without_bert_tensors_is_a_user_error(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    folder = tmp_path / "not-bert"
    shutil.copytree(resolve_source("minilm", "test"), folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    save_file({"something.else": torch.zeros(3)}, str(folder / "model.safetensors"))
    with pytest.raises(UserError, match="no tensor of it matches"):
        _model({"pretrained": str(folder)})


def test_a_hub_id_resolves_through_the_hugging_face_cache(bert_dir, tmp_path: Path, monkeypatch) -> None:
    """A snapshot laid out as the HF cache keeps it (models--org--name/snapshots/<rev>, refs/main), found offline."""
    import huggingface_hub.constants as hub_constants

    folder, bert = bert_dir
    cache = tmp_path / "hub"
    repo = cache / "models--someone--tiny-bert"
    shutil.copytree(folder, repo / "snapshots" / "0123abcd")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = _model({"pretrained": "someone/tiny-bert"})
    assert model.initialization["text"]["source"] == "someone/tiny-bert"
    assert Path(model.initialization["text"]["path"]) == repo / "snapshots" / "0123abcd"
    torch.testing.assert_close(model.text.bert.embeddings.word_embeddings.weight,
                               bert.embeddings.word_embeddings.weight, rtol=0, atol=0)


def test_a_hub_id_missing_offline_says_how_to_get_it(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as err:
        _model({"pretrained": "bert-base-uncased"})
    message = str(err.value)
    assert "\n" not in message and "offline" in message
    assert "hf download bert-base-uncased" in message and "model.text.pretrained=DIR" in message


def test_the_export_folder_alone_is_enough(bert_dir, tmp_path: Path) -> None:
    """An export holds the BERT config and tokenizer: with the pretrained folder gone it still loads, same outputs."""
    from core.train.export import TEXT_DIR, load_exported, text_files_of, write_export

    folder, _ = bert_dir
    source = tmp_path / "bert-copy"
    shutil.copytree(folder, source)
    model = _model({"pretrained": str(source)})
    write_export(model.state_dict(), {"model": model.cfg.to_dict()}, tmp_path / "export", text_files_of(model))
    assert (tmp_path / "export" / TEXT_DIR / "config.json").is_file()
    shutil.rmtree(source)  # evaluation must never read it again
    loaded = load_exported(tmp_path / "export")
    tokenizer = load_tokenizer(loaded.cfg.text)
    batch = tokenizer(["a big red square moves left"], return_tensors="pt")
    with torch.no_grad():
        want = model.encode_text(batch["input_ids"], batch["attention_mask"])
        got = loaded.encode_text(batch["input_ids"], batch["attention_mask"])
    torch.testing.assert_close(got, want, rtol=0, atol=0)
