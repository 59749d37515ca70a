"""Draw a `VideoSpec` into RGB frames and per-frame object label maps with OpenCV polygon fills.

Objects are filled without anti-aliasing, so the label map is exactly the set of pixels painted in
an object's colour (before compression). Label k (1-based) is the k-th object of the video,
counting shots in order and objects within a shot in drawing order; later objects cover earlier
ones, so a label map shows what is visible.
"""

from __future__ import annotations

import cv2
import numpy as np

from .motion import trajectory
from .spec import VideoSpec
from .texture import render_texture
from .vocabulary import COLOURS, FRAME, SHAPE_POLYGONS, SIZES

_SHIFT = 4  # fixed-point bits for cv2.fillPoly: sub-pixel motion stays smooth
_ONE = 1 << _SHIFT


def polygon(shape: str, x: float, y: float, half: float, angle: float) -> np.ndarray:
    """Vertices (float px, [N, 2]) of `shape` centred at (x, y), half extent `half`, rotated clockwise."""
    return polygons(shape, np.array([[x, y, half, angle]]))[0]


def polygons(shape: str, path: np.ndarray) -> np.ndarray:
    """Vertices [T, N, 2] of `shape` along path [T, 4] = (x, y, half extent, angle in degrees).

    With image y pointing down, the standard rotation matrix turns clockwise on screen.
    """
    a = np.radians(path[:, 3])
    c, s = np.cos(a)[:, None], np.sin(a)[:, None]  # [T, 1]
    px, py = SHAPE_POLYGONS[shape][:, 0][None], SHAPE_POLYGONS[shape][:, 1][None]  # [1, N]
    half = path[:, 2:3]
    x = path[:, 0:1] + half * (px * c - py * s)  # [T, N]
    y = path[:, 1:2] + half * (px * s + py * c)
    return np.stack([x, y], axis=2)


def render_video(spec: VideoSpec, size: int = FRAME) -> tuple[np.ndarray, np.ndarray]:
    """-> (frames [T, size, size, 3] uint8 RGB, labels [T, size, size] uint8, 0 = background)."""
    T = spec.n_frames
    frames = np.empty((T, size, size, 3), np.uint8)
    labels = np.zeros((T, size, size), np.uint8)
    t0, k0 = 0, 0
    for shot in spec.shots:
        n = shot.n_frames
        palette = np.zeros((len(shot.objects) + 1, 3), np.uint8)
        outlines = []
        for j, o in enumerate(shot.objects):
            palette[j + 1] = COLOURS[o.obj.colour]
            path = trajectory(o, SIZES[o.obj.size], n)
            outlines.append(np.rint(polygons(o.obj.shape, path) * _ONE).astype(np.int32))  # [n, N, 2] fixed point
        for i in range(n):
            lab = labels[t0 + i]
            for j, pts in enumerate(outlines):
                cv2.fillPoly(lab, [pts[i]], j + 1, lineType=cv2.LINE_8, shift=_SHIFT)
        local = labels[t0:t0 + n]
        bg = render_texture(shot.texture, size)
        frames[t0:t0 + n] = np.where(local[..., None] > 0, palette[local], bg[None])
        if len(shot.objects):
            # Shift shot-local labels 1..K to the video-wide numbering.
            np.add(local, k0, out=local, where=local > 0)
        k0 += len(shot.objects)
        t0 += n
    if k0 > 255:
        raise ValueError(f"{k0} objects do not fit a uint8 label map")
    return frames, labels
