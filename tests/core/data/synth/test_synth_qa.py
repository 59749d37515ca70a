"""QA answers follow from objects.json; referents are unique; the two styles ask differently."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.data.synth.qa import COUNT_WORDS, DIRECTIONS, MOTION_ANSWERS, ask, candidates
from core.data.synth.scene import sample_graph


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _answer(template: str, objects: list[dict], refs: list[int]) -> str:
    """The answer recomputed from objects.json alone."""
    o = objects[refs[0] - 1]
    if template in ("colour_of_shape", "colour_of_motion"):
        return o["colour"]
    if template == "shape_of_motion":
        return o["shape"]
    if template == "size_of_object":
        return o["size"]
    if template in ("motion_of_object", "motion_of_colour"):
        return MOTION_ANSWERS[o["motion"]]
    if template in ("direction_of_move", "direction_of_spin"):
        return DIRECTIONS[o["motion"]]
    if template == "count_objects":
        return COUNT_WORDS[len(objects)]
    if template == "count_moving":
        return COUNT_WORDS[sum(x["motion"] != "still" for x in objects)]
    raise AssertionError(f"unknown template {template}")


def _unique_referent(template: str, objects: list[dict], refs: list[int]) -> bool:
    o = objects[refs[0] - 1]
    spin = lambda m: "spin" if m.startswith("spin_") else m  # noqa: E731 - both spin directions read alike
    key = {"colour_of_shape": lambda x: x["shape"], "shape_of_motion": lambda x: spin(x["motion"]),
           "colour_of_motion": lambda x: spin(x["motion"]), "motion_of_colour": lambda x: x["colour"]}.get(template)
    if key is None:
        return True
    return sum(key(x) == key(o) for x in objects) == 1


@pytest.mark.parametrize("name", ["synth-msrvtt-qa", "synth-msvd-qa"])
def test_answers_are_consistent_with_objects_json(parts: dict[str, Path], name: str) -> None:
    root = parts[name]
    objects = _json(root / "groundtruth" / "objects.json")
    truth = _json(root / "groundtruth" / "qa.json")
    rows = {}
    for f in ("train_qa.json", "val_qa.json", "test_qa.json"):
        rows |= {str(r["id"]): r for r in _json(root / f)}
    assert set(rows) == set(truth)
    for qid, q in truth.items():
        objs = objects[q["video"]]
        assert rows[qid]["question"] == q["question"] and rows[qid]["answer"] == q["answer"]
        assert q["answer"] == _answer(q["template"], objs, q["objects"]), q
        assert _unique_referent(q["template"], objs, q["objects"]), q


def test_styles_differ_and_answers_vary() -> None:
    rng = np.random.default_rng(0)
    graphs = [sample_graph(rng) for _ in range(300)]
    msrvtt = {q.template for g in graphs for q in candidates(g, "msrvtt")}
    msvd = {q.question.split(" the ")[0] for g in graphs for q in candidates(g, "msvd")}
    assert len(msrvtt) >= 7 and msvd
    q_msrvtt = {q.question for g in graphs for q in candidates(g, "msrvtt")}
    q_msvd = {q.question for g in graphs for q in candidates(g, "msvd")}
    assert len(q_msrvtt & q_msvd) < 0.05 * len(q_msvd)  # different templates, rare coincidences
    answers = Counter(q.answer for g in graphs for q in ask(g, rng, "msrvtt", 5))
    assert len(answers) >= 25 and max(answers.values()) < 0.2 * sum(answers.values())
    assert all(" " not in a for a in answers)
