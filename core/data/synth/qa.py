"""Open-ended questions from scene graphs, answered by one word like the real QA datasets.

A question is only asked when its referent is unique in the scene ("what color is the square?"
needs exactly one square), so every answer follows from `objects.json`. Answers are canonical
words: colours ("red"), shapes ("square"), sizes ("small", "medium", "big"), counts ("one"..),
directions ("left", "up", "clockwise"...) and motion words ("spinning", "resting"...).
The MSRVTT-QA and MSVD-QA styles ask with different templates (as the two real datasets differ).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .captions import motion_key
from .spec import SceneObject

COUNT_WORDS = ("zero", "one", "two", "three", "four")
# One-word answers to "what is X doing?"; every move direction is "moving".
MOTION_ANSWERS: dict[str, str] = {
    "still": "resting", "move_left": "moving", "move_right": "moving", "move_up": "moving", "move_down": "moving",
    "grow": "growing", "shrink": "shrinking", "bounce": "bouncing", "spin_cw": "spinning", "spin_ccw": "spinning",
    "shake": "shaking", "orbit": "orbiting",
}
# How a question names a motion ("what shape is moving left?"): one canonical phrase per wording class.
MOTION_PHRASES: dict[str, str] = {
    "still": "staying still", "move_left": "moving left", "move_right": "moving right", "move_up": "moving up",
    "move_down": "moving down", "grow": "growing", "shrink": "shrinking", "bounce": "bouncing", "spin": "spinning",
    "shake": "shaking", "orbit": "going round and round",
}
DIRECTIONS = {"move_left": "left", "move_right": "right", "move_up": "up", "move_down": "down",
              "spin_cw": "clockwise", "spin_ccw": "counterclockwise"}
SCALING = frozenset({"grow", "shrink"})


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    template: str
    objects: tuple[int, ...]  # graph indices of the objects the question is about


def _unique(graph: Sequence[SceneObject], key) -> dict:
    counts = Counter(key(o) for o in graph)
    return {key(o): i for i, o in enumerate(graph) if counts[key(o)] == 1}


def candidates(graph: Sequence[SceneObject], style: str) -> list[Question]:
    """Every question of `style` ("msrvtt" or "msvd") that `graph` answers unambiguously."""
    qs: list[Question] = []
    by_shape = _unique(graph, lambda o: o.shape)
    by_colour = _unique(graph, lambda o: o.colour)
    by_motion = _unique(graph, lambda o: motion_key(o.motion))
    n = len(graph)
    moving = [i for i, o in enumerate(graph) if o.motion != "still"]
    if style == "msrvtt":
        for shape, i in by_shape.items():
            qs.append(Question(f"what color is the {shape}?", graph[i].colour, "colour_of_shape", (i,)))
        for m, i in by_motion.items():
            qs.append(Question(f"what shape is {MOTION_PHRASES[m]}?", graph[i].shape, "shape_of_motion", (i,)))
            qs.append(Question(f"what color is the object that is {MOTION_PHRASES[m]}?", graph[i].colour,
                               "colour_of_motion", (i,)))
        qs.append(Question("how many objects are there?", COUNT_WORDS[n], "count_objects", tuple(range(n))))
        for i, o in enumerate(graph):
            name = f"{o.colour} {o.shape}"
            qs.append(Question(f"what is the {name} doing?", MOTION_ANSWERS[o.motion], "motion_of_object", (i,)))
            if o.motion not in SCALING:
                qs.append(Question(f"what size is the {name}?", o.size, "size_of_object", (i,)))
            if o.motion.startswith("move_"):
                qs.append(Question(f"which way is the {name} moving?", DIRECTIONS[o.motion], "direction_of_move", (i,)))
            if o.motion.startswith("spin_"):
                qs.append(Question(f"which way is the {name} spinning?", DIRECTIONS[o.motion], "direction_of_spin", (i,)))
    elif style == "msvd":
        for m, i in by_motion.items():
            qs.append(Question(f"what is {MOTION_PHRASES[m]}?", graph[i].shape, "shape_of_motion", (i,)))
        for colour, i in by_colour.items():
            qs.append(Question(f"what is the {colour} thing doing?", MOTION_ANSWERS[graph[i].motion],
                               "motion_of_colour", (i,)))
        if moving:
            qs.append(Question("how many shapes are moving?", COUNT_WORDS[len(moving)], "count_moving", tuple(moving)))
        for shape, i in by_shape.items():
            o = graph[i]
            qs.append(Question(f"what color is the {o.size} {shape}?", o.colour, "colour_of_shape", (i,)))
            if o.motion.startswith("move_"):
                qs.append(Question(f"where is the {o.colour} {shape} going?", DIRECTIONS[o.motion],
                                   "direction_of_move", (i,)))
            if o.motion.startswith("spin_"):
                qs.append(Question(f"which direction does the {o.colour} {shape} spin?", DIRECTIONS[o.motion],
                                   "direction_of_spin", (i,)))
            if o.motion not in SCALING:
                qs.append(Question(f"how big is the {o.colour} {shape}?", o.size, "size_of_object", (i,)))
    else:
        raise ValueError(f"unknown QA style {style!r}")
    return qs


def ask(graph: Sequence[SceneObject], rng: np.random.Generator, style: str, n: int) -> list[Question]:
    """Up to n questions about `graph`, preferring distinct templates so no one kind dominates."""
    pool = candidates(graph, style)
    order = [int(i) for i in rng.permutation(len(pool))]
    picked: list[Question] = []
    seen: set[str] = set()
    for i in order:  # first pass: one question per template
        if pool[i].template not in seen and len(picked) < n:
            picked.append(pool[i])
            seen.add(pool[i].template)
    for i in order:  # then fill up with the rest
        if len(picked) >= n:
            break
        if pool[i] not in picked:
            picked.append(pool[i])
    return picked
