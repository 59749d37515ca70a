"""The QA answer vocabulary: which train answers the classifier can give, per dataset kind.

MSRVTT-QA: the 1,500 most frequent train answers. MSVD-QA: every train answer seen at least
`min_count` times (a frequency floor). Both rules are config fields (`vocab.msrvtt_qa`,
`vocab.msvd_qa`). Order: most frequent first, ties alphabetical, so the vocabulary (and the
classifier's output layout) never depends on file order. The list is saved with the head.
QA files that ship their own answer list (VINDLU's, LAVIS's: `DatasetIndex.answers`) use it
instead, in its order, as those codebases do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import Field

from core.config import ConfigModel
from core.data.index import Sample
from core.data.tasks.qa import build_answer_vocab
from core.errors import UserError


class VocabRule(ConfigModel):
    top_k: int | None = Field(None, ge=1)  # keep at most this many answers (None: no cap)
    min_count: int = Field(1, ge=1)  # keep answers seen at least this often in the train split


class VocabConfig(ConfigModel):
    msrvtt_qa: VocabRule = VocabRule(top_k=1500)
    msvd_qa: VocabRule = VocabRule(min_count=2)

    def rule(self, kind: str) -> VocabRule:
        """The rule of a dataset kind (`msrvtt-qa`, `msvd-qa`)."""
        rules = {"msrvtt-qa": self.msrvtt_qa, "msvd-qa": self.msvd_qa}
        if kind not in rules:
            raise UserError(f"no answer-vocabulary rule for dataset kind {kind!r} (QA kinds: {', '.join(rules)})")
        return rules[kind]


def answer_vocabulary(samples: Sequence[Sample], rule: VocabRule, shipped: Sequence[str] | None = None) -> list[str]:
    """The answers the classifier covers: the `shipped` list when the files have one, else the train
    answers by `rule`, most frequent first (ties alphabetical)."""
    if shipped:
        return list(dict.fromkeys(shipped))
    answers = build_answer_vocab(samples, top_k=rule.top_k, min_count=rule.min_count)
    if not answers:
        raise UserError(f"no train answer passes the vocabulary rule (top_k={rule.top_k}, min_count={rule.min_count})")
    return answers


def majority_share(train: Sequence[Sample], test: Sequence[Sample], answers: Sequence[str]) -> float:
    """Percent of test questions answered right by always giving the most frequent train answer.

    The QA chance level: what the answer prior alone scores (0 when that answer is not in the
    vocabulary, which cannot happen with the rules above).
    """
    counts = Counter(s.answer for s in train if s.answer)
    if not counts or not test:
        return 0.0
    top = min(counts, key=lambda a: (-counts[a], a))
    if top not in answers:
        return 0.0
    return 100.0 * sum(s.answer == top for s in test) / len(test)


def question_key(question: str, words: int) -> str:
    """The first `words` words of a question, lower case, without punctuation: its type ("what color is")."""
    return " ".join("".join(c for c in w if c.isalnum()) for w in question.lower().split()[:words])


def question_prior(train: Sequence[Sample], test: Sequence[Sample], answers: Sequence[str], words: int = 3) -> float:
    """Percent of test questions answered right from the question's type alone (a blind baseline).

    Each test question gets the most frequent train answer among train questions starting with the
    same `words` words (ties alphabetical), or the overall most frequent answer for an unseen type.
    What a model scores above this comes from the video.
    """
    by_type: dict[str, Counter] = {}
    for s in train:
        if s.answer:
            by_type.setdefault(question_key(s.question or "", words), Counter())[s.answer] += 1
    overall = Counter(s.answer for s in train if s.answer)
    if not overall or not test:
        return 0.0

    def best(counts: Counter) -> str:
        return min(counts, key=lambda a: (-counts[a], a))

    known = set(answers)
    right = 0
    for s in test:
        guess = best(by_type.get(question_key(s.question or "", words), overall))
        right += guess == s.answer and guess in known
    return 100.0 * right / len(test)
