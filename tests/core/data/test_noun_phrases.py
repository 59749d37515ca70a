"""Noun phrases: spaCy chunks, the on-disk cache, K per caption, prompts, tokenisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.noun_phrases import choose_phrases, extract_noun_phrases, load_noun_phrases, make_prompt
from core.data.tokens import TokenTable, pad_ids


def test_noun_chunks_of_captions():
    phrases = extract_noun_phrases([
        "a big red square moves left while a small blue circle spins",
        "a large orange cross rotates",
        "the tiny yellow star and a purple heart grow on a striped background",
        "spinning",
        "A mid-sized blue heart is turning.",
    ])
    assert phrases[0] == ["a big red square", "a small blue circle"]
    assert phrases[1] == ["a large orange cross"]
    assert phrases[2] == ["the tiny yellow star", "a purple heart", "a striped background"]
    assert phrases[3] == []
    assert phrases[4] == ["A mid-sized blue heart"]


def test_pronoun_only_chunks_are_not_phrases():
    phrases = extract_noun_phrases([
        "A man picks up a guitar and plays it while they watch him.",
        "It spins.",
        "A red square pushes itself and them.",
    ])
    assert phrases[0] == ["A man", "a guitar"]
    assert phrases[1] == []
    assert phrases[2] == ["A red square"]
    prompts = [make_prompt(p) for caption in phrases for p in caption]
    assert "A photo of a it." not in prompts and all(" it." not in p for p in prompts)


def test_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    captions = ["a red square spins", "a blue circle moves left"]
    table = load_noun_phrases(captions, "k1", tmp_path)
    stored = json.loads((tmp_path / "k1.json").read_text())
    assert stored["phrases"] == table
    import core.data.noun_phrases as module

    monkeypatch.setattr(module, "extract_noun_phrases", lambda *a, **k: pytest.fail("recomputed"))
    assert load_noun_phrases(captions, "k1", tmp_path) == table


def test_choose_k_samples_or_pads_deterministically():
    phrases = ["a", "b", "c", "d"]
    first = choose_phrases(phrases, "cap", 2, np.random.default_rng([0, 1, 5]))
    assert first == choose_phrases(phrases, "cap", 2, np.random.default_rng([0, 1, 5]))
    assert len(first) == 2 and set(first) <= set(phrases)
    draws = {tuple(choose_phrases(phrases, "cap", 2, np.random.default_rng([0, e, 5]))) for e in range(10)}
    assert len(draws) > 1  # another epoch, another choice
    assert choose_phrases(["a red square"], "a red square spins", 2, np.random.default_rng(0)) == [
        "a red square", "a red square spins"]
    assert choose_phrases([], "spinning", 2, np.random.default_rng(0)) == ["spinning", "spinning"]


def test_prompt_template():
    assert make_prompt("a big red square") == "A photo of a big red square."
    assert make_prompt("the tiny star", "{noun}!") == "tiny star!"
    assert make_prompt("circles") == "A photo of a circles."


def test_token_table_and_padding(minilm_tokenizer):
    tokenizer = minilm_tokenizer
    table = TokenTable(tokenizer, max_length=6)
    short, long = table.ids("a square"), table.ids("a big red square moves left while spinning")
    assert short[0] == tokenizer.cls_token_id and short[-1] == tokenizer.sep_token_id
    assert len(long) == 6
    ids, mask = pad_ids([short, long], table.pad_id, 6)
    assert ids.shape == (2, 6) and mask.tolist()[0] == [1, 1, 1, 1, 0, 0]
    ids, mask = pad_ids([short, short], table.pad_id, 32)
    assert ids.shape == (2, 4)  # padded to the batch's longest, not the cap
