"""What a part will write: its videos (as specs), its annotation files, and its ground truth.

Part modules (`parts/*.py`) only plan: they draw everything from seeded generators in the main
process and return a `PartPlan`. `suite.py` renders the videos in worker processes and writes the
files. Ground-truth JSON is derived here from the specs, so every part describes its videos the
same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .captions import Caption, canonical_phrase
from .qa import Question
from .spec import VideoSpec


@dataclass
class PlannedVideo:
    stem: str  # file name without suffix; ground truth lives at groundtruth/<stem>.npz
    path: str  # relative to the part root, e.g. "videos/all/video7.mp4"
    spec: VideoSpec
    captions: list[tuple[int, Caption, float | None, float | None]] = field(default_factory=list)
    # (shot, caption, start s, end s); caption phrase indices are graph indices within that shot
    link_from: str | None = None  # "<part>/<path>": reuse another part's rendered file instead of rendering


@dataclass
class PartPlan:
    name: str
    kind: str
    videos: list[PlannedVideo]
    files: dict[str, str]  # annotation files: relative path -> text
    counts: dict[str, int]
    questions: dict[str, dict] = field(default_factory=dict)  # qa.json rows by question id


def dumps(obj: object) -> str:
    """Compact, deterministic JSON (the real annotation files are compact too)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def object_index_base(spec: VideoSpec) -> list[int]:
    """Label-map index of each shot's first object minus one (labels count objects across shots)."""
    out, k = [], 0
    for shot in spec.shots:
        out.append(k)
        k += len(shot.objects)
    return out


def objects_json(videos: list[PlannedVideo]) -> str:
    table: dict[str, list[dict]] = {}
    for v in videos:
        rows, t0 = [], 0
        base = object_index_base(v.spec)
        for s, shot in enumerate(v.spec.shots):
            for j, o in enumerate(shot.objects):
                rows.append({
                    "index": base[s] + j + 1, "shape": o.obj.shape, "colour": o.obj.colour, "size": o.obj.size,
                    "motion": o.obj.motion, "phrase": canonical_phrase(o.obj), "shot": s,
                    "frames": [t0, t0 + shot.n_frames],
                    "segments": [{"motion": g.motion, "start": t0 + g.start, "end": t0 + g.start + g.length}
                                 for g in o.segments],
                })
            t0 += shot.n_frames
        table[v.stem] = rows
    return dumps(table)


def videos_json(videos: list[PlannedVideo]) -> str:
    table: dict[str, dict] = {}
    for v in videos:
        shots, t0 = [], 0
        for shot in v.spec.shots:
            shots.append({"start": t0, "end": t0 + shot.n_frames, "background": shot.texture.describe()})
            t0 += shot.n_frames
        table[v.stem] = {
            "path": v.path, "fps": v.spec.fps, "n_frames": v.spec.n_frames, "cuts": v.spec.cuts(), "shots": shots,
            "actions": [{"start": a.start, "end": a.end, "label": a.label, "object": a.object_index}
                        for a in v.spec.actions],
        }
    return dumps(table)


def captions_json(videos: list[PlannedVideo]) -> str:
    table: dict[str, list[dict]] = {}
    for v in videos:
        if not v.captions:
            continue
        base = object_index_base(v.spec)
        table[v.stem] = [
            {"caption": c.text, "shot": shot, "start": start, "end": end,
             "phrases": [{"object": base[shot] + k + 1, "text": c.text[s:e], "span": [s, e]} for k, s, e in c.phrases]}
            for shot, c, start, end in v.captions
        ]
    return dumps(table)


def question_row(q: Question, stem: str, split: str, qid: int, base: int = 0) -> tuple[str, dict]:
    return str(qid), {"video": stem, "split": split, "question": q.question, "answer": q.answer,
                      "template": q.template, "objects": [base + i + 1 for i in q.objects]}
