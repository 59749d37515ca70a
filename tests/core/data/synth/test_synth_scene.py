"""The scene grammar: objects stay in the frame, spins only show on asymmetric shapes, variants are
one edit away, action classes are told apart by motion only, seeding is keyed."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from core.data.synth.captions import motion_key
from core.data.synth.motion import trajectory
from core.data.synth.parts import anet, hmdb, ucf
from core.data.synth.render import polygon
from core.data.synth.scene import clip_shot, sample_graph, vary_graph
from core.data.synth.seeding import rng_for
from core.data.synth.sizes import suite_size
from core.data.synth.vocabulary import COLOUR_NAMES, FRAME, SHAPE_POLYGONS, SIZES, SPIN_MOTIONS, SPIN_VISIBLE


def _inside(shot) -> bool:
    for o in shot.objects:
        path = trajectory(o, SIZES[o.obj.size], shot.n_frames)
        for x, y, half, ang in path:
            pts = polygon(o.obj.shape, x, y, half, ang)
            if pts.min() < -0.5 or pts.max() > FRAME - 0.5:
                return False
    return True


def test_objects_stay_inside_the_frame() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert _inside(clip_shot(sample_graph(rng), rng))
    for i in range(20):
        spec = anet.plan_video(0, i, (20, 60))
        assert all(_inside(shot) for shot in spec.shots)


def test_spins_only_on_shapes_where_they_show_and_phrases_are_distinct() -> None:
    rng = np.random.default_rng(1)
    for _ in range(500):
        g = sample_graph(rng)
        assert all(o.shape in SPIN_VISIBLE for o in g if o.motion in SPIN_MOTIONS)
        assert len({(o.shape, o.colour) for o in g}) == len(g) and 1 <= len(g) <= 3
    for shape in SPIN_VISIBLE:  # no rotational symmetry: a quarter turn changes the outline
        p = SHAPE_POLYGONS[shape]
        q = polygon(shape, 0, 0, 1, 90)
        assert not np.allclose(np.sort(p, axis=0), np.sort(q, axis=0), atol=1e-3)


def test_variants_are_one_edit_away() -> None:
    rng = np.random.default_rng(2)
    for _ in range(300):
        g = sample_graph(rng)
        v, edit = vary_graph(g, rng)
        assert v != g
        if edit in ("motion", "colour", "shape", "size"):
            assert len(v) == len(g) and sum(a != b for a, b in zip(g, v, strict=True)) == 1
        if edit in ("motion", "swap_motion"):  # visible in the captions too, not only in the pixels
            assert sorted(motion_key(o.motion) for o in v) != sorted(motion_key(o.motion) for o in g) or \
                edit == "swap_motion"
            assert [motion_key(o.motion) for o in v] != [motion_key(o.motion) for o in g]
        elif edit in ("add", "remove"):
            assert abs(len(v) - len(g)) == 1


@pytest.mark.parametrize("part", [ucf, hmdb])
def test_action_classes_differ_only_by_motion(part) -> None:
    shapes, colours = defaultdict(set), defaultdict(set)
    for v in part.plan(suite_size("small"), 0).videos:
        cls = v.path.split("/")[1]
        actor = next(o.obj for o in v.spec.shots[0].objects if o.obj.motion != "still")
        motions = part.CLASSES[cls]
        assert actor.motion in (motions if isinstance(motions, tuple) else (motions,))
        shapes[cls].add(actor.shape)
        colours[cls].add(actor.colour)
    assert len(shapes) == len(part.CLASSES)
    assert all(s == set(SPIN_VISIBLE) for s in shapes.values())
    assert all(c == set(COLOUR_NAMES) for c in colours.values())


def test_seeding_is_keyed() -> None:
    a = rng_for(0, "part", 3).random(4)
    assert np.array_equal(a, rng_for(0, "part", 3).random(4))
    assert not np.array_equal(a, rng_for(0, "part", 4).random(4))
    assert not np.array_equal(a, rng_for(1, "part", 3).random(4))
