"""The scene grammar: seeded scene graphs, their hard-negative variants, and their layout in a shot.

A scene graph is 1-3 objects, each (shape, colour, size, motion), with no two objects sharing
both shape and colour (so every object has a distinct noun phrase). Spinning is only given to
shapes without rotational symmetry. Videos are generated in families: member 0 of a family is
the anchor graph and the other members are one-edit variants of it (another motion, colour,
shape or size for one object; two objects swapping colours or motions; an object added or
removed), so that clips sharing objects or motions are frequent and retrieval needs attributes.

Layout turns a graph into a `ShotSpec`: a background texture, motion parameters and start
positions chosen so every object stays inside the frame for the whole shot and objects start
(and mostly stay) apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .motion import SHAPE_RADIUS, relative_trajectory, sample_params
from .seeding import pick
from .spec import ObjectSpec, SceneObject, Segment, ShotSpec, TextureSpec
from .texture import sample_texture
from .vocabulary import (
    CAPTION_MOTION,
    CLIP_FRAMES,
    CLIP_MOTIONS,
    COLOUR_NAMES,
    FRAME,
    SHAPES,
    SIZE_NAMES,
    SIZES,
    SPIN_MOTIONS,
    SPIN_VISIBLE,
)

Graph = tuple[SceneObject, ...]
MARGIN = 1.0  # px kept between an object's farthest vertex and the frame border


def _worded(motion: str) -> str:
    return CAPTION_MOTION.get(motion, motion)


def _motion_fits(shape: str, motion: str) -> bool:
    return motion not in SPIN_MOTIONS or shape in SPIN_VISIBLE


def valid_graph(graph: Sequence[SceneObject]) -> bool:
    keys = [(o.shape, o.colour) for o in graph]
    return len(set(keys)) == len(keys) and all(_motion_fits(o.shape, o.motion) for o in graph)


def sample_object(rng: np.random.Generator, motions: Sequence[str] = CLIP_MOTIONS,
                  shapes: Sequence[str] = SHAPES) -> SceneObject:
    """One object; its motion is drawn first so that a spin picks a shape on which it shows."""
    motion = pick(rng, motions)
    pool = [s for s in shapes if _motion_fits(s, motion)]
    return SceneObject(pick(rng, pool), pick(rng, COLOUR_NAMES), pick(rng, SIZE_NAMES), motion)


def sample_graph(rng: np.random.Generator, n_objects: int | None = None,
                 motions: Sequence[str] = CLIP_MOTIONS) -> Graph:
    """A scene graph of `n_objects` (default: 1, 2 or 3 with probabilities .3/.4/.3)."""
    n = int(n_objects or rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
    graph: list[SceneObject] = []
    while len(graph) < n:
        o = sample_object(rng, motions)
        if valid_graph(graph + [o]):
            graph.append(o)
    return tuple(graph)


EDITS: tuple[str, ...] = ("motion", "colour", "shape", "size", "swap_colour", "swap_motion", "add", "remove")


def vary_graph(graph: Graph, rng: np.random.Generator, motions: Sequence[str] = CLIP_MOTIONS) -> tuple[Graph, str]:
    """A hard negative of `graph`: one edit that keeps everything else. -> (graph, edit name)."""
    for _ in range(100):
        edit = pick(rng, EDITS)
        g = list(graph)
        i = int(rng.integers(len(g)))
        o = g[i]
        if edit == "motion":
            # Another wording class: spin_cw -> spin_ccw would leave every caption unchanged.
            other = [m for m in motions if _worded(m) != _worded(o.motion)]
            g[i] = SceneObject(o.shape, o.colour, o.size, pick(rng, other))
        elif edit == "colour":
            g[i] = SceneObject(o.shape, pick(rng, [c for c in COLOUR_NAMES if c != o.colour]), o.size, o.motion)
        elif edit == "shape":
            g[i] = SceneObject(pick(rng, [s for s in SHAPES if s != o.shape]), o.colour, o.size, o.motion)
        elif edit == "size":
            g[i] = SceneObject(o.shape, o.colour, pick(rng, [s for s in SIZE_NAMES if s != o.size]), o.motion)
        elif edit in ("swap_colour", "swap_motion"):
            if len(g) < 2:
                continue
            j = pick(rng, [k for k in range(len(g)) if k != i])
            a, b = g[i], g[j]
            if edit == "swap_colour" and a.colour != b.colour:
                g[i] = SceneObject(a.shape, b.colour, a.size, a.motion)
                g[j] = SceneObject(b.shape, a.colour, b.size, b.motion)
            elif edit == "swap_motion" and _worded(a.motion) != _worded(b.motion):
                g[i] = SceneObject(a.shape, a.colour, a.size, b.motion)
                g[j] = SceneObject(b.shape, b.colour, b.size, a.motion)
            else:
                continue
        elif edit == "add":
            if len(g) >= 3:
                continue
            g.insert(int(rng.integers(len(g) + 1)), sample_object(rng, motions))
        elif edit == "remove":
            if len(g) < 2:
                continue
            del g[i]
        if tuple(g) != graph and valid_graph(g):
            return tuple(g), edit
    return sample_graph(rng, motions=motions), "resample"


def family_graph(anchor_rng: np.random.Generator, member_rng: np.random.Generator, member: int,
                 motions: Sequence[str] = CLIP_MOTIONS) -> tuple[Graph, str]:
    """Member `member` of a family: 0 is the anchor itself, others are one-edit variants of it."""
    anchor = sample_graph(anchor_rng, motions=motions)
    if member == 0:
        return anchor, "anchor"
    return vary_graph(anchor, member_rng, motions)


def _placement(trajs: Sequence[np.ndarray], radii: Sequence[np.ndarray], rng: np.random.Generator,
               size: int = FRAME, tries: int = 40) -> list[tuple[float, float]]:
    """Start centres keeping every object inside the frame; prefers layouts where objects stay apart.

    trajs[k]: [T, 2] centre offsets of object k from its start; radii[k]: [T] its bounding radius.
    Object k takes the first of `tries` candidate starts that keeps it clear of the objects placed
    before it in every frame, or else the candidate that comes least close.
    """
    placed: list[np.ndarray] = []
    for off, rad in zip(trajs, radii, strict=True):
        lo = np.max(rad[:, None] + MARGIN - off, axis=0)  # [2] lowest start (x, y)
        hi = np.min(size - 1 - MARGIN - rad[:, None] - off, axis=0)
        hi = np.maximum(hi, lo)  # an impossible fit (never by design) starts at the lowest position
        cands = lo + (hi - lo) * rng.random((tries, 2))  # [tries, 2]
        gap = np.full(tries, np.inf)
        for j, pc in enumerate(placed):
            other = pc + trajs[j]  # [T, 2] centres of object j
            d = np.linalg.norm(cands[:, None, :] + off[None] - other[None], axis=2)  # [tries, T]
            gap = np.minimum(gap, (d - 0.9 * (rad + radii[j])[None]).min(axis=1))
        clear = np.flatnonzero(gap >= 0)
        placed.append(cands[clear[0]] if len(clear) else cands[int(np.argmax(gap))])
    return [(float(c[0]), float(c[1])) for c in placed]


def layout(objects: Sequence[tuple[SceneObject, tuple[Segment, ...]]], n_frames: int, texture: TextureSpec,
           rng: np.random.Generator) -> ShotSpec:
    """Place objects with given motion segments in a shot of `n_frames` on `texture`."""
    trajs, radii, angles = [], [], []
    for obj, segments in objects:
        rel = relative_trajectory(segments, n_frames)
        trajs.append(rel[:, :2])
        radii.append(rel[:, 2] * SIZES[obj.size] * SHAPE_RADIUS[obj.shape])
        # Spin-free shapes keep a canonical upright pose; others start at any orientation.
        angles.append(float(rng.uniform(0, 360)) if obj.shape in SPIN_VISIBLE else 0.0)
    starts = _placement(trajs, radii, rng)
    placed = tuple(
        ObjectSpec(obj, x, y, a, segments) for (obj, segments), (x, y), a in zip(objects, starts, angles, strict=True)
    )
    return ShotSpec(n_frames, texture, placed)


def clip_shot(graph: Graph, rng: np.random.Generator, n_frames: int = CLIP_FRAMES,
              texture: TextureSpec | None = None) -> ShotSpec:
    """A clip shot: each object performs its motion over the whole shot (clip speed profile)."""
    objects = [
        (o, (Segment(o.motion, 0, n_frames, sample_params(o.motion, n_frames, SIZES[o.size], rng)),))
        for o in graph
    ]
    return layout(objects, n_frames, texture or sample_texture(rng), rng)


def balanced_cycle(rng: np.random.Generator, items: Sequence[str], n: int) -> list[str]:
    """n draws that run through `items` in shuffled rounds: every item occurs once n >= len(items)."""
    out: list[str] = []
    while len(out) < n:
        out += [str(items[int(i)]) for i in rng.permutation(len(items))]
    return out[:n]


def action_actors(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """(shape, colour) of n actors of one class, balanced so that neither reveals the class."""
    return list(zip(balanced_cycle(rng, SPIN_VISIBLE, n), balanced_cycle(rng, COLOUR_NAMES, n), strict=True))


def action_shot(motion: str, rng: np.random.Generator, actor: tuple[str, str] | None = None,
                texture: TextureSpec | None = None, max_distractors: int = 1) -> tuple[Graph, ShotSpec]:
    """An action-recognition clip: one actor doing `motion`, plus up to `max_distractors` still objects.

    `actor` = (shape, colour), from `action_actors`: every actor shape comes from SPIN_VISIBLE and
    every class sees every shape and colour, so that only the motion tells the classes apart.
    """
    shape, colour = actor or (pick(rng, SPIN_VISIBLE), pick(rng, COLOUR_NAMES))
    graph = [SceneObject(shape, colour, pick(rng, SIZE_NAMES), motion)]
    n_distractors = int(rng.integers(0, max_distractors + 1))
    while len(graph) < 1 + n_distractors:
        o = sample_object(rng, ("still",))
        if valid_graph(graph + [o]):
            graph.insert(int(rng.integers(len(graph) + 1)), o)
    return tuple(graph), clip_shot(tuple(graph), rng, texture=texture)
