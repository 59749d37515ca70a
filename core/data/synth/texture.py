"""Procedural background textures: muted, low-contrast patterns that change at every scene cut.

Backgrounds use desaturated, darkish colours (HSV saturation <= 0.45, value <= 0.55) so that the
saturated object colours never occur in them: an object is findable by colour, and a change of
texture is a scene cut, not an object.
"""

from __future__ import annotations

import colorsys
import math

import cv2
import numpy as np

from .seeding import pick
from .spec import TextureSpec
from .vocabulary import FRAME

KINDS: tuple[str, ...] = ("stripes", "checker", "dots", "gradient", "noise", "waves")


def _muted(rng: np.random.Generator) -> tuple[float, float, float]:
    return float(rng.uniform(0, 1)), float(rng.uniform(0.08, 0.4)), float(rng.uniform(0.18, 0.48))


def _rgb(hsv: tuple[float, float, float]) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(*hsv)
    return int(round(r * 255)), int(round(g * 255)), int(round(b * 255))


def sample_texture(rng: np.random.Generator, kind: str | None = None) -> TextureSpec:
    """Draw a background: a pattern kind, two muted colours of nearby hue and its geometry."""
    kind = kind or pick(rng, KINDS)
    h, s, v = _muted(rng)
    h2 = (h + float(rng.uniform(-0.08, 0.08))) % 1.0
    v2 = min(0.55, max(0.12, v + pick(rng, (-1.0, 1.0)) * float(rng.uniform(0.06, 0.16))))
    p: dict[str, object] = {"colour_a": _rgb((h, s, v)), "colour_b": _rgb((h2, min(0.45, s + 0.05), v2))}
    if kind == "stripes":
        p |= {"angle": float(rng.uniform(0, 180)), "period": float(rng.uniform(6, 16)), "soft": bool(rng.random() < 0.5)}
    elif kind == "checker":
        p |= {"cell": int(rng.integers(4, 13))}
    elif kind == "dots":
        p |= {"spacing": int(rng.integers(6, 13)), "radius": float(rng.uniform(1.0, 2.5))}
    elif kind == "gradient":
        p |= {"angle": float(rng.uniform(0, 360))}
    elif kind == "noise":
        p |= {"cells": int(rng.integers(3, 8)), "field_seed": int(rng.integers(0, 2**31))}
    elif kind == "waves":
        p |= {"fx": float(rng.uniform(0.2, 0.6)), "fy": float(rng.uniform(0.1, 0.4)), "wobble": float(rng.uniform(1, 4))}
    else:
        raise ValueError(f"unknown texture kind {kind!r}")
    p["shift"] = (int(rng.integers(0, FRAME)), int(rng.integers(0, FRAME)))
    return TextureSpec(kind, tuple(sorted(p.items())))


def jitter(tex: TextureSpec, rng: np.random.Generator) -> TextureSpec:
    """The same background seen from a shifted viewpoint (clips of one UCF-style group)."""
    p = dict(tex.params)
    p["shift"] = (int(rng.integers(0, FRAME)), int(rng.integers(0, FRAME)))
    return TextureSpec(tex.kind, tuple(sorted(p.items())))


def render_texture(tex: TextureSpec, size: int = FRAME) -> np.ndarray:
    """[size, size, 3] uint8 RGB background."""
    p = dict(tex.params)
    sx, sy = p["shift"]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    xx, yy = xx + sx, yy + sy
    k = tex.kind
    if k == "stripes":
        a = math.radians(p["angle"])
        phase = (xx * math.cos(a) + yy * math.sin(a)) * 2 * math.pi / p["period"]
        w = 0.5 + 0.5 * np.sin(phase) if p["soft"] else (np.sin(phase) > 0).astype(np.float64)
    elif k == "checker":
        c = p["cell"]
        w = ((xx // c + yy // c) % 2).astype(np.float64)
    elif k == "dots":
        sp = p["spacing"]
        d = np.hypot((xx % sp) - sp / 2, (yy % sp) - sp / 2)
        w = (d <= p["radius"]).astype(np.float64)
    elif k == "gradient":
        a = math.radians(p["angle"])
        t = (xx - sx) * math.cos(a) + (yy - sy) * math.sin(a)
        w = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    elif k == "noise":
        cells = p["cells"]
        grid = np.random.default_rng(p["field_seed"]).random((cells + 1, cells + 1))
        w = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    elif k == "waves":
        w = 0.5 + 0.5 * np.sin(xx * p["fx"] + p["wobble"] * np.sin(yy * p["fy"]))
    else:
        raise ValueError(f"unknown texture kind {k!r}")
    a = np.asarray(p["colour_a"], np.float64)
    b = np.asarray(p["colour_b"], np.float64)
    img = a + (b - a) * w[..., None]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


MIN_CUT_CHANGE = 12.0  # mean |difference| (0-255) between the backgrounds on either side of a cut


def sample_texture_unlike(prev: TextureSpec | None, rng: np.random.Generator) -> TextureSpec:
    """A background for the shot after a cut: another pattern kind, visibly different pixel by pixel.

    Independent draws are nearly always far apart; this makes "a cut changes the background"
    hold for every cut, which the scene-cut ground truth promises.
    """
    tex = sample_texture(rng)
    if prev is None:
        return tex
    before = render_texture(prev).astype(np.int16)
    for _ in range(50):
        if tex.kind != prev.kind and np.abs(render_texture(tex) - before).mean() >= MIN_CUT_CHANGE:
            break
        tex = sample_texture(rng)
    return tex
