"""Plain, picklable descriptions of what a synthetic video shows (the scene graph made concrete).

A `VideoSpec` is everything the renderer needs: shots (scene cuts between them), each with a
background texture and objects, each object with its motion segments. Specs are built in the
main process from seeded draws and rendered in worker processes, so rendering never draws
random numbers and the number of workers cannot change the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SceneObject:
    """One node of a scene graph: what captions and questions talk about."""

    shape: str
    colour: str
    size: str  # "small" | "medium" | "big": the size at the first frame
    motion: str  # a motion id of vocabulary.py


@dataclass(frozen=True)
class Segment:
    """`motion` over frames [start, start + length) of a shot, continuing from the previous state."""

    motion: str
    start: int
    length: int
    params: tuple[tuple[str, float], ...] = ()

    def param(self, name: str, default: float = 0.0) -> float:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class ObjectSpec:
    """A scene object placed in a shot: appearance, start state and motion segments covering the shot."""

    obj: SceneObject
    x0: float  # centre before the first segment starts (px)
    y0: float
    angle0: float  # orientation (degrees, clockwise on screen)
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class TextureSpec:
    """A procedural background: `kind` and its parameters (colours as RGB tuples)."""

    kind: str
    params: tuple[tuple[str, object], ...]

    def describe(self) -> dict:
        return {"kind": self.kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.params}}


@dataclass(frozen=True)
class ShotSpec:
    """A stretch of frames between scene cuts: one background, objects drawn in list order (last on top)."""

    n_frames: int
    texture: TextureSpec
    objects: tuple[ObjectSpec, ...]


@dataclass(frozen=True)
class ActionSpan:
    """A ground-truth action instance of a localization video, in frames [start, end)."""

    start: int
    end: int
    label: str
    object_index: int  # 1-based object index (label map value) of the actor


@dataclass(frozen=True)
class VideoSpec:
    fps: int
    shots: tuple[ShotSpec, ...]
    actions: tuple[ActionSpan, ...] = field(default=())
    untrimmed: bool = False  # a localization video: its ground truth includes per-frame action flags

    @property
    def n_frames(self) -> int:
        return sum(s.n_frames for s in self.shots)

    def cuts(self) -> list[int]:
        """Frame indices where a new shot starts (the first frame after each scene cut)."""
        out, t = [], 0
        for shot in self.shots[:-1]:
            t += shot.n_frames
            out.append(t)
        return out
