"""synth-pretrain: sviml's own caption CSV (`video_path,caption,start,end`) over mp4 clips.

Most videos are one 2 s scene with one caption (start/end empty: the whole clip). A fifth are
two scenes joined by a cut, with one caption row per scene and its start/end in seconds, so the
start/end columns and scene cuts are exercised. Captions use the "sentence" style (VideoCC/
WebVid-like); they may contain commas, so the CSV quotes such fields (RFC 4180, Python's csv).
Videos come in families of 3 (an anchor scene and two one-edit variants): hard negatives.
"""

from __future__ import annotations

import csv
import io

from ..captions import describe
from ..plan import PartPlan, PlannedVideo
from ..scene import clip_shot, family_graph, sample_graph
from ..seeding import rng_for
from ..sizes import SuiteSize
from ..spec import VideoSpec
from ..texture import sample_texture_unlike
from ..vocabulary import CLIP_FPS, CLIP_FRAMES

NAME, KIND = "synth-pretrain", "captions"
FAMILY = 3
TWO_SCENE_FRACTION = 0.2


def _seconds(frames: int) -> str:
    return f"{frames / CLIP_FPS:.1f}"


def plan(size: SuiteSize, seed: int) -> PartPlan:
    videos: list[PlannedVideo] = []
    rows: list[list[str]] = []
    for i in range(size.pretrain_videos):
        rng = rng_for(seed, NAME, i)
        graph, _ = family_graph(rng_for(seed, NAME, "family", i // FAMILY), rng, i % FAMILY)
        graphs = [graph]
        if rng.random() < TWO_SCENE_FRACTION:
            graphs.append(sample_graph(rng))
        shots = [clip_shot(graphs[0], rng)]
        if len(graphs) == 2:
            shots.append(clip_shot(graphs[1], rng, texture=sample_texture_unlike(shots[0].texture, rng)))
        stem = f"clip_{i:06d}"
        video = PlannedVideo(stem, f"videos/{stem}.mp4", VideoSpec(CLIP_FPS, tuple(shots)))
        for s, g in enumerate(graphs):
            cap = describe(g, rng, "sentence")
            if len(graphs) == 1:
                start = end = None
            else:
                start, end = s * CLIP_FRAMES / CLIP_FPS, (s + 1) * CLIP_FRAMES / CLIP_FPS
            video.captions.append((s, cap, start, end))
            rows.append([video.path, cap.text, "" if start is None else _seconds(s * CLIP_FRAMES),
                         "" if end is None else _seconds((s + 1) * CLIP_FRAMES)])
        videos.append(video)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["video_path", "caption", "start", "end"])
    writer.writerows(rows)
    counts = {"videos": len(videos), "captions": len(rows),
              "two_scene_videos": sum(len(v.spec.shots) == 2 for v in videos)}
    return PartPlan(NAME, KIND, videos, {"captions.csv": buf.getvalue()}, counts)
