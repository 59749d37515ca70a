"""synth-anet: the ActivityNet v1.3 layout for temporal action localization over untrimmed videos.

`activity_net.v1-3.min.json`: {"version": "VERSION 1.3", "taxonomy": [nodes], "database": {id:
{"subset", "duration", "resolution", "url", "annotations": [{"segment": [s, e], "label"}]}}};
videos at `videos/v_<id>.mp4`, ids invented 11-character YouTube-style strings. Subsets cycle
training, training, validation, testing; "testing" videos have empty annotations like the real
file (their ground truth stays in groundtruth/).

A video lasts 20-60 s at 4 fps and holds 1-3 action instances of 3-8 s, separated by background
stretches of at least 2 s (objects that stay still or drift by at most 0.25 px per frame). Every
stretch between two actions holds a scene cut (new background and new objects), so a shot holds
at most one action; long background stretches may hold further cuts.
"""

from __future__ import annotations

import numpy as np

from ..motion import sample_params
from ..plan import PartPlan, PlannedVideo, dumps
from ..scene import balanced_cycle, layout, sample_object, valid_graph
from ..seeding import pick, rng_for, unique_youtube_ids
from ..sizes import SuiteSize
from ..spec import ActionSpan, SceneObject, Segment, ShotSpec, TextureSpec, VideoSpec
from ..texture import sample_texture_unlike
from ..vocabulary import COLOUR_NAMES, DRIFT, LOC_FPS, SIZES, SPIN_VISIBLE

NAME, KIND = "synth-anet", "activitynet"
CLASSES: dict[str, str] = {
    "move_left": "Moving left", "move_right": "Moving right", "move_up": "Moving up", "move_down": "Moving down",
    "grow": "Growing", "shrink": "Shrinking", "bounce": "Bouncing", "spin_cw": "Spinning clockwise",
    "spin_ccw": "Spinning counterclockwise", "shake": "Shaking", "orbit": "Orbiting",
}
TAXONOMY_GROUPS: dict[str, tuple[str, ...]] = {
    "Translation": ("move_left", "move_right", "move_up", "move_down", "orbit"),
    "Scaling": ("grow", "shrink"),
    "Rotation": ("spin_cw", "spin_ccw"),
    "Oscillation": ("bounce", "shake"),
}
SUBSETS = ("training", "training", "validation", "testing")
ACTION_FRAMES = (12, 32)  # 3-8 s at 4 fps
EDGE_GAP, MID_GAP = 4, 8  # minimum background before/after the actions, and between two of them
EXTRA_CUT_GAP = 24  # a background stretch this long may hold an extra cut


def taxonomy() -> list[dict]:
    nodes = [{"nodeId": 0, "nodeName": "Root", "parentId": None, "parentName": None}]
    for group, motions in TAXONOMY_GROUPS.items():
        gid = len(nodes)
        nodes.append({"nodeId": gid, "nodeName": group, "parentId": 0, "parentName": "Root"})
        for m in motions:
            nodes.append({"nodeId": len(nodes), "nodeName": CLASSES[m], "parentId": gid, "parentName": group})
    return nodes


def _timeline(T: int, rng: np.random.Generator) -> tuple[list[tuple[int, int]], list[int]]:
    """Action spans [(start, end)] and cut frames for a video of T frames."""
    n = int(rng.integers(1, 4))
    lengths = [int(x) for x in rng.integers(ACTION_FRAMES[0], ACTION_FRAMES[1] + 1, n)]
    while sum(lengths) + 2 * EDGE_GAP + MID_GAP * (len(lengths) - 1) > T:
        lengths.pop() if len(lengths) > 1 else lengths.__setitem__(0, T - 2 * EDGE_GAP)
    n = len(lengths)
    minimum = [EDGE_GAP] + [MID_GAP] * (n - 1) + [EDGE_GAP]
    free = T - sum(lengths) - sum(minimum)
    extra = np.floor(rng.dirichlet(np.ones(n + 1)) * free).astype(int)
    extra[-1] += free - int(extra.sum())
    gaps = [m + int(e) for m, e in zip(minimum, extra, strict=True)]
    spans, t = [], gaps[0]
    for k, length in enumerate(lengths):
        spans.append((t, t + length))
        t += length + gaps[k + 1]
    # Background stretches: (start, end) before, between and after the actions.
    stretches = [(0, spans[0][0])] + [(spans[k][1], spans[k + 1][0]) for k in range(n - 1)] + [(spans[-1][1], T)]
    cuts = []
    for k, (a, b) in enumerate(stretches):
        if 0 < k < n:  # every pair of actions is separated by a cut; a long stretch may get two
            if b - a >= 2 * EXTRA_CUT_GAP and rng.random() < 0.5:
                mid = (a + b) // 2
                cuts += [int(rng.integers(a + 2, mid - 1)), int(rng.integers(mid + 2, b - 1))]
            else:
                cuts.append(int(rng.integers(a + 2, b - 1)))
        elif b - a >= EXTRA_CUT_GAP and rng.random() < 0.5:
            cuts.append(int(rng.integers(a + 4, b - 3)))  # a pure-background shot before or after
    return spans, sorted(cuts)


def _shot(n: int, action: tuple[int, int, str] | None, rng: np.random.Generator,
          prev: TextureSpec | None) -> ShotSpec:
    """A shot of n frames; `action` = (start, end, motion) in shot frames, done by one object.

    The actor rests before and after its action (a drift would eat the room a move needs);
    the other objects stay still or drift slowly for the whole shot.
    """
    graph: list[tuple[SceneObject, tuple[Segment, ...]]] = []
    if action is not None:
        a, b, motion = action
        # Small and medium actors: a 40 px move of a big one would not fit the 64 px frame.
        actor = SceneObject(pick(rng, SPIN_VISIBLE), pick(rng, COLOUR_NAMES),
                            pick(rng, ["small", "medium"]), motion)
        segs = [Segment(motion, a, b - a, sample_params(motion, b - a, SIZES[actor.size], rng, profile="loc"))]
        if a > 0:
            segs.insert(0, Segment("still", 0, a))
        if b < n:
            segs.append(Segment("still", b, n - b))
        graph.append((actor, tuple(segs)))
    n_objects = int(rng.integers(1, 4))
    while len(graph) < n_objects:
        o = sample_object(rng, ("still", DRIFT))
        seg = Segment(o.motion, 0, n, sample_params(o.motion, n, SIZES[o.size], rng, profile="loc"))
        if valid_graph([g[0] for g in graph] + [o]):
            graph.insert(int(rng.integers(len(graph) + 1)), (o, (seg,)))
    return layout(graph, n, sample_texture_unlike(prev, rng), rng)


def plan_video(seed: int, i: int, seconds: tuple[int, int], motions: list[str] | None = None) -> VideoSpec:
    """Video i: its timeline from its own generator, then one shot per stretch between cuts.

    `motions` (one per action instance, in order) come from `plan`, which balances the classes
    over the part; without them they are drawn here.
    """
    spans, cuts, T = timeline(seed, i, seconds)
    rng = rng_for(seed, NAME, i, "shots")
    if motions is None:
        motions = [pick(rng, list(CLASSES)) for _ in spans]
    bounds = [0] + cuts + [T]
    shots, actions, k0 = [], [], 0
    for s0, s1 in zip(bounds[:-1], bounds[1:], strict=True):
        inside = [(a, b, m) for (a, b), m in zip(spans, motions, strict=True) if s0 <= a and b <= s1]
        act = (inside[0][0] - s0, inside[0][1] - s0, inside[0][2]) if inside else None
        shot = _shot(s1 - s0, act, rng, shots[-1].texture if shots else None)
        if inside:
            actor = next(j for j, o in enumerate(shot.objects) if o.obj.motion == inside[0][2])
            actions.append(ActionSpan(inside[0][0], inside[0][1], CLASSES[inside[0][2]], k0 + actor + 1))
        shots.append(shot)
        k0 += len(shot.objects)
    return VideoSpec(LOC_FPS, tuple(shots), tuple(actions), untrimmed=True)


def timeline(seed: int, i: int, seconds: tuple[int, int]) -> tuple[list[tuple[int, int]], list[int], int]:
    """(action spans, cut frames, frame count) of video i."""
    rng = rng_for(seed, NAME, i)
    T = int(rng.integers(seconds[0] * LOC_FPS, seconds[1] * LOC_FPS + 1))
    spans, cuts = _timeline(T, rng)
    return spans, cuts, T


def plan(size: SuiteSize, seed: int) -> PartPlan:
    ids = unique_youtube_ids(seed, NAME, size.anet_videos)
    videos, database = [], {}
    counts = {"videos": size.anet_videos, "instances": 0, **{s: 0 for s in SUBSETS}}
    # Classes run through shuffled rounds over all instances of the part: every class is about
    # equally frequent, and every one occurs once there are at least as many instances as classes.
    n_instances = [len(timeline(seed, i, size.anet_seconds)[0]) for i in range(len(ids))]
    labels = iter(balanced_cycle(rng_for(seed, NAME, "labels"), list(CLASSES), sum(n_instances)))
    for i, yid in enumerate(ids):
        spec = plan_video(seed, i, size.anet_seconds, [next(labels) for _ in range(n_instances[i])])
        subset = SUBSETS[i % len(SUBSETS)]
        stem = f"v_{yid}"
        videos.append(PlannedVideo(stem, f"videos/{stem}.mp4", spec))
        annotations = [] if subset == "testing" else [
            {"segment": [a.start / LOC_FPS, a.end / LOC_FPS], "label": a.label} for a in spec.actions]
        database[yid] = {"subset": subset, "duration": spec.n_frames / LOC_FPS, "resolution": "64x64",
                         "url": f"https://www.youtube.com/watch?v={yid}", "annotations": annotations}
        counts[subset] += 1
        counts["instances"] += len(spec.actions)
    data = {"version": "VERSION 1.3", "taxonomy": taxonomy(), "database": database}
    return PartPlan(NAME, KIND, videos, {"activity_net.v1-3.min.json": dumps(data)}, counts)
