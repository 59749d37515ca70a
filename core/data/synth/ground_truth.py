"""Ground truth that real datasets lack: per-frame object label maps, scene cuts, action flags.

Layout under a part root (see docs/synthetic.md):
  groundtruth/<stem>.npz   labels uint8 [T, H, W] (0 = background, k = object k of objects.json),
                           cuts int32 [C] (first frame of each new shot), and for localization
                           videos action uint8 [T] (1 inside an action instance)
  groundtruth/objects.json {stem: [{index, shape, colour, size, motion, phrase, shot, frames, segments}]}
  groundtruth/videos.json  {stem: {path, fps, n_frames, cuts, shots: [{start, end, background}], actions}}
  groundtruth/captions.json {stem: [{caption, shot, start, end, phrases: [{object, text, span}]}]} (caption parts)
  groundtruth/qa.json      {question id: {video, split, question, answer, template, objects}} (QA parts)
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

GT_DIR = "groundtruth"


def save_arrays(path: Path, labels: np.ndarray, cuts: list[int], action: np.ndarray | None = None) -> None:
    """Write one video's arrays as a compressed npz that `np.load` reads.

    Written through zipfile with a fixed timestamp: `np.savez_compressed` stamps the current time
    into the archive, and the same seed must give byte-identical ground truth.
    """
    arrays = {"labels": labels.astype(np.uint8), "cuts": np.asarray(cuts, np.int32)}
    if action is not None:
        arrays["action"] = action.astype(np.uint8)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue(), compresslevel=6)


def action_flags(n_frames: int, spans: list[tuple[int, int]]) -> np.ndarray:
    flags = np.zeros(n_frames, np.uint8)
    for a, b in spans:
        flags[a:b] = 1
    return flags


@lru_cache(maxsize=32)
def _table(path: str, mtime_ns: int) -> dict:
    del mtime_ns  # part of the cache key only: a regenerated file is read again
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _json(gt: Path, name: str) -> dict:
    path = gt / name
    if not path.exists():
        return {}
    return _table(str(path), os.stat(path).st_mtime_ns)


def load_ground_truth(part_root: Path | str, video_stem: str) -> dict:
    """Everything known about one video of a generated part.

    -> {"labels": uint8 [T, H, W], "cuts": int32 [C], "action": uint8 [T] or None, "fps": int,
        "n_frames": int, "path": str (relative to part_root), "shots": [...], "actions": [...],
        "objects": [...], "captions": [...], "questions": [...]}
    `action` is None for clip videos (no localization ground truth). The JSON tables are cached
    per file, so calling this once per video of a split stays cheap.
    """
    gt = Path(part_root) / GT_DIR
    npz = gt / f"{video_stem}.npz"
    if not npz.exists():
        raise FileNotFoundError(f"no ground truth for {video_stem!r} under {gt}")
    with np.load(npz) as arrays:
        out: dict = {"labels": arrays["labels"], "cuts": arrays["cuts"],
                     "action": arrays["action"] if "action" in arrays.files else None}
    info = _json(gt, "videos.json").get(video_stem, {})
    out.update({k: info.get(k) for k in ("fps", "n_frames", "path", "shots", "actions")})
    out["objects"] = _json(gt, "objects.json").get(video_stem, [])
    out["captions"] = _json(gt, "captions.json").get(video_stem, [])
    out["questions"] = _questions(gt).get(video_stem, [])
    return out


def _questions(gt: Path) -> dict[str, list[dict]]:
    path = gt / "qa.json"
    if not path.exists():
        return {}
    return _by_video(str(path), os.stat(path).st_mtime_ns)


@lru_cache(maxsize=8)
def _by_video(path: str, mtime_ns: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for k, q in _table(path, mtime_ns).items():
        out.setdefault(q["video"], []).append(dict(q, id=int(k)))
    return out
