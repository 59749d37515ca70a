"""Motions: seeded parameters and the per-frame trajectory (centre, scale, angle) they produce.

A segment of n frames moves its object relative to the state before the segment; frame i of the
segment shows the state after i + 1 steps, so consecutive segments join without a jump.
Angles are in degrees and grow clockwise on screen (image y points down).

Two speed profiles: "clip" (16 frames at 8 fps, the whole motion fits in 2 s) and "loc"
(localization actions of 12-32 frames at 4 fps, at least 1 px per frame for moves so that they
stand apart from the background drift, which never exceeds 0.25 px per frame).
"""

from __future__ import annotations

import math

import numpy as np

from .seeding import pick
from .spec import ObjectSpec, Segment
from .vocabulary import CLIP_MOTIONS, COMPOSITE_MOTIONS, DRIFT, MAX_HALF_EXTENT, SHAPE_POLYGONS

ALL_MOTIONS: tuple[str, ...] = CLIP_MOTIONS + COMPOSITE_MOTIONS + (DRIFT,)

# Largest distance of a unit polygon's vertex from its centre: the bound that holds at any angle.
SHAPE_RADIUS: dict[str, float] = {k: float(np.linalg.norm(v, axis=1).max()) for k, v in SHAPE_POLYGONS.items()}

_DIRECTIONS = {"move_left": (-1, 0), "move_right": (1, 0), "move_up": (0, -1), "move_down": (0, 1),
               "bounce_left": (-1, 0), "bounce_right": (1, 0)}


def sample_params(motion: str, n: int, half: float, rng: np.random.Generator,
                  profile: str = "clip") -> tuple[tuple[str, float], ...]:
    """Draw the parameters of `motion` over n frames for an object of half extent `half` (px)."""
    if motion not in ALL_MOTIONS:
        raise ValueError(f"unknown motion {motion!r}")
    clip = profile == "clip"
    p: dict[str, float] = {}
    if motion in _DIRECTIONS:
        lo, hi = (18.0, 30.0) if clip else (max(20.0, float(n)), 40.0)
        p["distance"] = float(rng.uniform(lo, hi))
    if motion in ("grow", "grow_spin"):
        p["factor"] = float(min(rng.uniform(1.5, 1.8), MAX_HALF_EXTENT / half))
    if motion == "shrink":
        p["factor"] = float(rng.uniform(0.4, 0.55))
    if motion.startswith("bounce"):
        p["amplitude"] = float(rng.uniform(8.0, 13.0))
        p["period"] = 8.0 if clip else float(rng.integers(6, 11))
    if motion in ("spin_cw", "spin_ccw", "grow_spin"):
        sign = {"spin_cw": 1.0, "spin_ccw": -1.0}.get(motion, pick(rng, [-1.0, 1.0]))
        p["omega"] = sign * float(rng.uniform(15.0, 25.0) if clip else rng.uniform(12.0, 20.0))
    if motion == "shake":
        p["amplitude"] = float(rng.uniform(2.5, 4.0))
        p["period"] = 4.0
    if motion == "orbit":
        p["radius"] = float(rng.uniform(7.0, 11.0))
        p["period"] = float(n) if clip else float(rng.integers(12, 21))
        p["turn"] = pick(rng, [-1.0, 1.0])
    if motion == DRIFT:
        a = float(rng.uniform(0, 2 * math.pi))
        speed = min(float(rng.uniform(0.1, 0.25)), 10.0 / max(n, 1))
        p["vx"], p["vy"] = speed * math.cos(a), speed * math.sin(a)
    return tuple(sorted(p.items()))


def offsets(seg: Segment) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame (dx, dy, scale factor, dangle) of a segment relative to the state before it."""
    n, m = seg.length, seg.motion
    step = np.arange(1, n + 1, dtype=np.float64)  # state after i + 1 steps
    dx, dy = np.zeros(n), np.zeros(n)
    scale, angle = np.ones(n), np.zeros(n)
    if m in _DIRECTIONS:
        ux, uy = _DIRECTIONS[m]
        dist = seg.param("distance") * step / n
        dx, dy = ux * dist, uy * dist
    if m.startswith("bounce"):
        dy = dy - seg.param("amplitude") * np.abs(np.sin(math.pi * step / seg.param("period")))
    if m in ("grow", "shrink", "grow_spin"):
        scale = 1.0 + (seg.param("factor") - 1.0) * step / n
    if "omega" in dict(seg.params):
        angle = seg.param("omega") * step
    if m == "shake":
        dx = seg.param("amplitude") * np.sin(2 * math.pi * step / seg.param("period"))
    if m == "orbit":
        r, phase = seg.param("radius"), 2 * math.pi * step / seg.param("period")
        dx, dy = r * (np.cos(phase) - 1.0), seg.param("turn") * r * np.sin(phase)
    if m == DRIFT:
        dx, dy = seg.param("vx") * step, seg.param("vy") * step
    return dx, dy, scale, angle


def relative_trajectory(segments: tuple[Segment, ...], n_frames: int) -> np.ndarray:
    """[n_frames, 4] (dx, dy, scale, angle) from a start state (0, 0, 1, 0); segments must tile the shot."""
    out = np.zeros((n_frames, 4))
    x = y = a = 0.0
    s = 1.0
    t = 0
    for seg in segments:
        if seg.start != t:
            raise ValueError(f"segments must tile the shot: {seg.motion} starts at {seg.start}, expected {t}")
        dx, dy, sc, da = offsets(seg)
        sl = slice(seg.start, seg.start + seg.length)
        out[sl, 0], out[sl, 1], out[sl, 2], out[sl, 3] = x + dx, y + dy, s * sc, a + da
        x, y, s, a = out[sl][-1]
        t += seg.length
    if t != n_frames:
        raise ValueError(f"segments cover {t} frames, the shot has {n_frames}")
    return out


def trajectory(spec: ObjectSpec, half: float, n_frames: int) -> np.ndarray:
    """[n_frames, 4] absolute (x, y, half extent, angle) of a placed object."""
    rel = relative_trajectory(spec.segments, n_frames)
    rel[:, 0] += spec.x0
    rel[:, 1] += spec.y0
    rel[:, 2] *= half
    rel[:, 3] += spec.angle0
    return rel
