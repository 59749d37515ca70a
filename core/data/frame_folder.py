"""A video stored as a folder of frames (MMAction2's "rawframes"): `<id>/img_00001.jpg` or `<id>/00001.jpg`.

Frames are numbered consecutively (from 0 or 1, any zero padding); JPEG and PNG are read. A gap
in the numbering (a frame lost in extraction or copying) makes the folder unreadable: its clips'
timing would be wrong. A folder knows no frame rate: the annotations' duration gives it
(frames / duration) or the dataset's `--fps`; without either, time windows cannot be placed
(registration refuses such a dataset) and clips are sampled over the whole folder.

`FrameFolder` has the interface of `core.data.video.Video` (`info`, `frames(indices)`), so every
task reads frame folders and files alike. With `short_side`, JPEG frames are decoded at a
reduced scale (1/2, 1/4, 1/8: OpenCV's DCT scaling, much cheaper than full decoding) as long as
the short side stays at least `short_side`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from core.data.video import VideoInfo, VideoReadError

FRAME_NAME = re.compile(r"^(?:img_|frame_?|image_)?(\d+)\.(jpe?g|png)$", re.IGNORECASE)
_REDUCED = ((8, "IMREAD_REDUCED_COLOR_8"), (4, "IMREAD_REDUCED_COLOR_4"), (2, "IMREAD_REDUCED_COLOR_2"))


def is_frame_folder(path: str | Path | bytes) -> bool:
    return not isinstance(path, bytes) and os.path.isdir(path)


def list_frames(path: str | Path) -> list[tuple[int, str]]:
    """(number, file name) of every frame file in the folder, by number."""
    frames = []
    with os.scandir(path) as entries:
        for entry in entries:
            match = FRAME_NAME.match(entry.name)
            if match is not None:
                frames.append((int(match.group(1)), entry.name))
    return sorted(frames)


def find_gap(numbers: list[int]) -> str | None:
    """'frames 12-14 missing' for the first gap in consecutive numbering, else None."""
    for before, after in zip(numbers, numbers[1:], strict=False):
        if after == before:
            return f"frame {after} appears twice"
        if after != before + 1:
            missing = f"{before + 1}" if after == before + 2 else f"{before + 1}-{after - 1}"
            return f"frames {missing} missing"
    return None


class FrameFolder:
    """A frame folder opened for reading: `frames(indices)` -> uint8 [N, H, W, 3] (RGB)."""

    def __init__(self, path: str | Path, fps: float | None = None, duration: float | None = None,
                 short_side: int | None = None):
        self.path = str(path)
        try:
            listed = list_frames(self.path)
        except OSError as err:
            raise VideoReadError(f"{self.path}: cannot list frames: {err.strerror or err}") from err
        if not listed:
            raise VideoReadError(f"{self.path}: no frame files (img_00001.jpg or 00001.jpg)")
        gap = find_gap([number for number, _ in listed])
        if gap is not None:
            raise VideoReadError(f"{self.path}: {gap}")
        self.names = [name for _, name in listed]
        rate = fps or (len(self.names) / duration if duration else 0.0)
        self.info = VideoInfo(len(self.names), float(rate))
        self.short_side = short_side
        self._flag: int | None = None

    def _read_flag(self, first: str) -> int:
        """The imread flag: the coarsest JPEG reduction that keeps the short side >= short_side."""
        import cv2

        if self.short_side is None or not first.lower().endswith((".jpg", ".jpeg")):
            return cv2.IMREAD_COLOR
        image = cv2.imread(os.path.join(self.path, first), cv2.IMREAD_COLOR)
        if image is None:
            return cv2.IMREAD_COLOR
        short = min(image.shape[:2])
        for factor, name in _REDUCED:
            if short // factor >= self.short_side:
                return getattr(cv2, name)
        return cv2.IMREAD_COLOR

    def frames(self, indices: np.ndarray) -> np.ndarray:
        """uint8 [N, H, W, 3] at the given frame indices (clamped to the folder)."""
        import cv2

        indices = np.clip(np.asarray(indices, dtype=np.int64), 0, self.info.num_frames - 1)
        if self._flag is None:
            self._flag = self._read_flag(self.names[0])
        decoded: dict[int, np.ndarray] = {}
        for i in np.unique(indices).tolist():
            image = cv2.imread(os.path.join(self.path, self.names[i]), self._flag)
            if image is None:
                raise VideoReadError(f"{self.path}: cannot decode {self.names[i]}")
            decoded[i] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        shapes = {image.shape for image in decoded.values()}
        if len(shapes) > 1:
            raise VideoReadError(f"{self.path}: frames of different sizes {sorted(shapes)}")
        return np.stack([decoded[i] for i in indices.tolist()])

    def all_frames(self) -> int:
        """Decode every frame (finds corrupt images); returns how many decoded."""
        for first in range(0, self.info.num_frames, 32):
            self.frames(np.arange(first, min(first + 32, self.info.num_frames)))
        return self.info.num_frames
