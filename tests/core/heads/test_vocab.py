"""The QA answer vocabulary: top-k, frequency floor, stable ties, out-of-vocabulary answers, chance."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from core.config import validate_config
from core.data.index import DatasetIndex, Sample
from core.errors import UserError
from core.heads.vocab import VocabConfig, VocabRule, answer_vocabulary, majority_share
from core.metrics.qa import qa_accuracy


def _samples(answers: list[str]) -> list[Sample]:
    return [Sample(id=str(i), video_id="v", listed="v.mp4", question="what?", answer=a) for i, a in enumerate(answers)]


TRAIN = ["red"] * 5 + ["blue"] * 3 + ["cyan"] * 3 + ["aqua"] * 3 + ["two"] * 1 + ["one"] * 1


def test_top_k_keeps_the_most_frequent_with_alphabetical_ties() -> None:
    assert answer_vocabulary(_samples(TRAIN), VocabRule(top_k=3)) == ["red", "aqua", "blue"]
    assert answer_vocabulary(_samples(TRAIN), VocabRule()) == ["red", "aqua", "blue", "cyan", "one", "two"]


def test_frequency_floor() -> None:
    assert answer_vocabulary(_samples(TRAIN), VocabRule(min_count=3)) == ["red", "aqua", "blue", "cyan"]
    assert answer_vocabulary(_samples(TRAIN), VocabRule(top_k=2, min_count=3)) == ["red", "aqua"]


def test_order_does_not_depend_on_file_order() -> None:
    shuffled = list(TRAIN)
    random.Random(3).shuffle(shuffled)
    assert answer_vocabulary(_samples(shuffled), VocabRule()) == answer_vocabulary(_samples(TRAIN), VocabRule())


def test_rules_per_kind_and_bad_rules() -> None:
    cfg = VocabConfig()
    assert cfg.rule("msrvtt-qa").top_k == 1500 and cfg.rule("msvd-qa").min_count == 2
    with pytest.raises(UserError, match="no answer-vocabulary rule"):
        cfg.rule("ucf101")
    with pytest.raises(UserError, match="vocab.msrvtt_qa.top_k: input should be greater than or equal to 1"):
        validate_config(VocabConfig, {"msrvtt_qa": {"top_k": 0}}, "vocab")
    with pytest.raises(UserError, match="no train answer"):
        answer_vocabulary(_samples(TRAIN), VocabRule(min_count=99))


def test_out_of_vocabulary_test_answers_count_as_wrong(tmp_path: Path) -> None:
    from core.data.tasks.qa import QADataset

    answers = answer_vocabulary(_samples(TRAIN), VocabRule(top_k=3))  # red, aqua, blue
    test = _samples(["red", "cyan", "blue", "purple"])  # cyan and purple are out of vocabulary
    index = DatasetIndex(kind="msrvtt-qa", root=tmp_path, video_root=tmp_path, splits={"test": test})

    class Tokenizer:
        pad_token_id = 0

        def __call__(self, text, truncation=True, max_length=8):
            return {"input_ids": [101, 102]}

    data = QADataset(index, Tokenizer(), answers, split="test")
    gold = np.array([data.answer_index.get(s.answer, -1) for s in data.samples])
    assert gold.tolist() == [0, -1, 2, -1]
    perfect = np.where(gold >= 0, gold, 0)  # the best any classifier over the vocabulary can do
    assert qa_accuracy(perfect, gold) == pytest.approx(50.0)
    assert majority_share(_samples(TRAIN), test, answers) == pytest.approx(25.0)  # always "red"


def test_question_prior_answers_from_the_question_type() -> None:
    from core.heads.vocab import question_key, question_prior

    def qa(question: str, answer: str) -> Sample:
        return Sample(id=question + answer, video_id="v", listed="v.mp4", question=question, answer=answer)

    train = [qa("what color is the square?", "red"), qa("what color is the disc?", "red"),
             qa("what color is the star?", "blue"), qa("how many objects are there?", "two"),
             qa("how many objects are there?", "one"), qa("how many objects are there?", "one")]
    assert question_key("What color, is it?", 3) == "what color is"
    test = [qa("what color is the heart?", "red"), qa("how many objects are there?", "three"),
            qa("where is it going?", "one")]  # an unseen type gets the overall favourite ("one")
    answers = ["one", "red", "two", "blue"]
    assert question_prior(train, test, answers) == pytest.approx(200 / 3)
