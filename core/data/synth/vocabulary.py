"""The visual vocabulary of the synthetic suite: shapes, colours, sizes, motions, frame geometry.

Everything here is a read-only table. Names are the canonical ids written to `objects.json` and
used as QA answers; captions draw synonyms for them from `captions.py`.
"""

from __future__ import annotations

import math

import numpy as np

FRAME = 64  # frames are FRAME x FRAME px: decord 0.6 decodes this width safely (48 and 72 do not)
CLIP_FPS = 8  # clip datasets: 16 frames at 8 fps = 2 s
CLIP_FRAMES = 16
LOC_FPS = 4  # localization videos: untrimmed, 20-60 s at 4 fps


def _circle(n: int = 28) -> np.ndarray:
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([np.cos(a), np.sin(a)], 1)


def _star(points: int = 5, inner: float = 0.45) -> np.ndarray:
    a = np.linspace(-math.pi / 2, 1.5 * math.pi, 2 * points, endpoint=False)
    r = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1)


def _heart(n: int = 36) -> np.ndarray:
    # The classic parametric heart, scaled to the unit disc; y is flipped because image y points down.
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y - 2.5], 1)
    return pts / np.abs(pts).max()


def _crescent(n: int = 20) -> np.ndarray:
    # Outer arc of the unit circle, then back along an inner circle shifted right: a moon opening right.
    a = np.linspace(0.35 * math.pi, 1.65 * math.pi, n)
    outer = np.stack([np.cos(a), np.sin(a)], 1)
    b = np.linspace(1.55 * math.pi, 0.45 * math.pi, n)
    inner = np.stack([0.45 + 0.8 * np.cos(b), 0.8 * np.sin(b)], 1)
    return np.concatenate([outer, inner])


# Unit polygons (x right, y down), extent about [-1, 1]. Each is drawn scaled by the object's half size.
SHAPE_POLYGONS: dict[str, np.ndarray] = {
    "circle": _circle(),
    "square": np.array([[-0.85, -0.85], [0.85, -0.85], [0.85, 0.85], [-0.85, 0.85]]),
    "triangle": np.array([[0.0, -1.0], [0.72, 0.9], [-0.72, 0.9]]),  # isosceles: a spin is visible
    "star": _star(),
    "heart": _heart(),
    "arrow": np.array([[-1.0, -0.3], [0.15, -0.3], [0.15, -0.75], [1.0, 0.0], [0.15, 0.75], [0.15, 0.3],
                       [-1.0, 0.3]]),
    "cross": np.array([[-0.3, -1.0], [0.3, -1.0], [0.3, -0.3], [1.0, -0.3], [1.0, 0.3], [0.3, 0.3], [0.3, 1.0],
                       [-0.3, 1.0], [-0.3, 0.3], [-1.0, 0.3], [-1.0, -0.3], [-0.3, -0.3]]),
    "crescent": _crescent(),
}
SHAPES: tuple[str, ...] = tuple(SHAPE_POLYGONS)
# Shapes with no rotational symmetry: only these spin (a spinning circle looks still), and the
# action-recognition parts draw every actor from them so that shape never reveals the class.
SPIN_VISIBLE: tuple[str, ...] = ("triangle", "heart", "arrow", "crescent")

# Saturated object colours (RGB), far apart from each other and from the muted backgrounds.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (225, 35, 35),
    "green": (40, 190, 60),
    "blue": (45, 85, 235),
    "yellow": (240, 225, 35),
    "purple": (150, 50, 210),
    "orange": (250, 135, 15),
    "white": (245, 245, 245),
    "cyan": (30, 215, 225),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)

# Half extent in px at scale 1 (a "big" object spans 26 px of the 64 px frame).
SIZES: dict[str, float] = {"small": 7.0, "medium": 10.0, "big": 13.0}
SIZE_NAMES: tuple[str, ...] = tuple(SIZES)
MAX_HALF_EXTENT = 20.0  # growing objects stop here so that they stay inside the frame

# Motions an object of a clip scene can perform (captions and QA describe these).
CLIP_MOTIONS: tuple[str, ...] = (
    "still", "move_left", "move_right", "move_up", "move_down", "grow", "shrink", "bounce",
    "spin_cw", "spin_ccw", "shake", "orbit",
)
SPIN_MOTIONS = frozenset({"spin_cw", "spin_ccw", "grow_spin"})
# Motions that captions word alike (see captions.py: "clockwise" cannot be said).
CAPTION_MOTION: dict[str, str] = {"spin_cw": "spin", "spin_ccw": "spin"}
# Composite motions used only by the UCF-style action classes.
COMPOSITE_MOTIONS: tuple[str, ...] = ("bounce_left", "bounce_right", "grow_spin")
# Background-only motion of localization videos: a slow drift that is not an action.
DRIFT = "drift"
