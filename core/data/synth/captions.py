"""Captions from scene graphs: every object named with size, colour and shape, and its motion.

Wording varies (synonyms for sizes, colours, shapes and motions; sentence templates; object
order) while keeping one property the grounding loss relies on: spaCy's noun chunks of a caption
are exactly its object phrases ("a big red square"). That property shaped the vocabulary:
- motions are progressive verbs after "is"/"are" ("is sliding left"): bare third-person verbs
  ("slides left") make the small English model read "slides" as a plural noun;
- no word that it tags as a noun outside the object phrases: "clockwise" is one, so captions say
  "spinning" without a direction (objects.json and the QA keep the direction);
  "plus sign", "drifting right" and "contracting" were dropped for the same reason;
- no pronouns ("that", "which", "both" before a noun phrase) and no "there is".
`tests/core/data/synth/test_synth_captions.py` checks the property with spaCy on a sample.

Two styles: "sentence" (VideoCC/WebVid-like: capitalised, a full stop, commas allowed) and
"msrvtt" (MSR-VTT-like: lower case, no punctuation at all, so that a comma never meets a CSV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .seeding import pick
from .spec import SceneObject
from .vocabulary import CAPTION_MOTION

SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "little", "tiny"),
    "medium": ("medium", "mid-sized"),
    "big": ("big", "large", "huge"),
}
COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "crimson", "scarlet"),
    "green": ("green", "emerald"),
    "blue": ("blue", "azure"),
    "yellow": ("yellow", "golden"),
    "purple": ("purple", "violet"),
    "orange": ("orange", "amber"),
    "white": ("white", "snowy"),
    "cyan": ("cyan", "turquoise", "aqua"),
}
SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "circle": ("circle", "disc", "ball"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle",),
    "star": ("star",),
    "heart": ("heart",),
    "arrow": ("arrow",),
    "cross": ("cross",),
    "crescent": ("crescent", "moon"),
}
# Progressive forms (after "is"/"are"). Both spin directions share wording: see the module docstring.
MOTION_WORDS: dict[str, tuple[str, ...]] = {
    "still": ("staying still", "resting", "standing still", "sitting still", "staying put", "not moving"),
    "move_left": ("moving left", "sliding left", "heading left", "going left"),
    "move_right": ("moving right", "sliding right", "going right"),
    "move_up": ("moving up", "rising", "floating up", "climbing", "going up"),
    "move_down": ("moving down", "sinking", "falling", "dropping", "descending", "going down"),
    "grow": ("growing", "expanding", "swelling", "enlarging"),
    "shrink": ("shrinking", "dwindling", "shrinking down"),
    "bounce": ("bouncing", "hopping up and down", "jumping up and down"),
    "spin": ("spinning", "rotating", "turning", "twirling"),
    "shake": ("shaking", "wobbling", "vibrating", "trembling"),
    "orbit": ("going round and round", "looping around", "orbiting"),
}
def motion_key(motion: str) -> str:
    """The wording class of a motion (both spin directions read "spinning")."""
    return CAPTION_MOTION.get(motion, motion)


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def canonical_phrase(o: SceneObject) -> str:
    """The canonical noun phrase of an object: "a big red square" (objects.json's `phrase`)."""
    words = f"{o.size} {o.colour} {o.shape}"
    return f"{article(words)} {words}"


@dataclass(frozen=True)
class Caption:
    text: str
    phrases: tuple[tuple[int, int, int], ...]  # (object index in the graph, char start, char end)

    def phrase_texts(self) -> list[tuple[int, str]]:
        return [(k, self.text[s:e]) for k, s, e in self.phrases]


def _phrase(o: SceneObject, rng: np.random.Generator) -> str:
    words = " ".join(pick(rng, t[k]) for t, k in
                     ((SIZE_WORDS, o.size), (COLOUR_WORDS, o.colour), (SHAPE_WORDS, o.shape)))
    return f"{article(words)} {words}"


def _verb(o: SceneObject, rng: np.random.Generator) -> str:
    return pick(rng, MOTION_WORDS[motion_key(o.motion)])


# Templates: "{0}"... are object phrases, "{v0}"... their verbs, "{v}" a verb shared by all subjects.
# A template is used for n objects; "shared" templates need two subjects of the same wording class.
_T1 = ("{0} is {v0}",)
_T2 = ("{0} is {v0} and {1} is {v1}", "{0} is {v0} while {1} is {v1}", "{0} is {v0} but {1} is {v1}",
       "{0} is {v0} as {1} is {v1}")
_T2_SENTENCE = ("While {1} is {v1}, {0} is {v0}", "{0} is {v0}. {1} is {v1}", "{0} is {v0}, and {1} is {v1}")
_T2_SHARED = ("{0} and {1} are both {v}", "{0} and {1} are {v}")
_T3 = ("{0} is {v0} while {1} is {v1} and {2} is {v2}",)
_T3_SENTENCE = ("{0} is {v0}, {1} is {v1} and {2} is {v2}", "{0} is {v0}. {1} is {v1}. {2} is {v2}",
                "{0} is {v0}, {1} is {v1}, and {2} is {v2}")
_T3_SHARED = ("{0} and {1} are {v} while {2} is {v2}", "{0} and {1} are both {v} while {2} is {v2}")


def _fill(template: str, nps: Sequence[str], verbs: Sequence[str], shared: str) -> tuple[str, list[tuple[int, int, int]]]:
    """Format `template`, recording where each object phrase lands. -> (text, [(slot, start, end)])."""
    out, spans, i = [], [], 0
    while i < len(template):
        if template[i] != "{":
            out.append(template[i])
            i += 1
            continue
        j = template.index("}", i)
        key = template[i + 1:j]
        start = sum(len(s) for s in out)
        if key == "v":
            out.append(shared)
        elif key.startswith("v"):
            out.append(verbs[int(key[1:])])
        else:
            out.append(nps[int(key)])
            spans.append((int(key), start, start + len(nps[int(key)])))
        i = j + 1
    return "".join(out), spans


def describe(graph: Sequence[SceneObject], rng: np.random.Generator, style: str = "sentence") -> Caption:
    """One caption naming every object of `graph` with its attributes and motion."""
    if style not in ("sentence", "msrvtt"):
        raise ValueError(f"unknown caption style {style!r}")
    n = len(graph)
    order = [int(i) for i in rng.permutation(n)]  # slot -> object index
    objs = [graph[i] for i in order]
    sentence = style == "sentence"
    templates: list[str] = []
    if n == 1:
        templates = list(_T1)
    elif n == 2:
        templates = list(_T2) + (list(_T2_SENTENCE) if sentence else [])
        if motion_key(objs[0].motion) == motion_key(objs[1].motion):
            templates = list(_T2_SHARED) * 2 + templates
    elif n == 3:
        templates = list(_T3) + (list(_T3_SENTENCE) if sentence else [])
        if motion_key(objs[0].motion) == motion_key(objs[1].motion):
            templates = list(_T3_SHARED) * 2 + templates
    else:
        raise ValueError(f"captions describe 1-3 objects, got {n}")
    template = pick(rng, templates)
    nps = [_phrase(o, rng) for o in objs]
    verbs = [_verb(o, rng) for o in objs]
    text, spans = _fill(template, nps, verbs, verbs[0])
    if sentence:  # capitalise every sentence (same length, so the phrase spans stay put)
        text = ". ".join(part[0].upper() + part[1:] for part in text.split(". ")) + "."
    else:
        text = text.lower()
    return Caption(text, tuple(sorted((order[slot], s, e) for slot, s, e in spans)))
