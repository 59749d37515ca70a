"""synth-msrvtt-qa: the MSRVTT-QA layout over the MSR-VTT-style videos.

`train_qa.json`, `val_qa.json`, `test_qa.json`: lists of {"video_id": N (int, of videoN), "id",
"question", "answer"}; the QA split follows MSR-VTT's json split (train / validate / test), as
the real MSRVTT-QA does. Question ids run on across the three files. The videos are the
synth-msrvtt part's files, hard-linked (copied where links are impossible) to
`videos/all/video<N>.mp4`, like a user pointing both datasets at one MSR-VTT download.
"""

from __future__ import annotations

from ..plan import PartPlan, PlannedVideo, dumps, question_row
from ..qa import ask
from ..seeding import rng_for
from ..sizes import SuiteSize
from . import msrvtt

NAME, KIND = "synth-msrvtt-qa", "msrvtt-qa"
FILES = {"train": "train_qa.json", "validate": "val_qa.json", "test": "test_qa.json"}


def plan(size: SuiteSize, seed: int) -> PartPlan:
    items = msrvtt.scenes(size, seed)
    rows: dict[str, list[dict]] = {s: [] for s in FILES}
    questions: dict[str, dict] = {}
    qid = 0
    for split in FILES:  # ids run train, then val, then test
        for v in items:
            if v.split != split:
                continue
            for q in ask(v.graph, rng_for(seed, NAME, v.number), "msrvtt", size.msrvtt_qa_per_video):
                rows[split].append({"video_id": v.number, "id": qid, "question": q.question, "answer": q.answer})
                key, row = question_row(q, v.stem, split, qid)
                questions[key] = row
                qid += 1
    videos = [PlannedVideo(v.stem, v.path, v.spec, link_from=f"{msrvtt.NAME}/{v.path}") for v in items]
    files = {FILES[s]: dumps(rows[s]) for s in FILES}
    counts = {"videos": len(videos), "questions": qid,
              **{f"{FILES[s].removesuffix('_qa.json')}_questions": len(rows[s]) for s in FILES}}
    return PartPlan(NAME, KIND, videos, files, counts, questions)
