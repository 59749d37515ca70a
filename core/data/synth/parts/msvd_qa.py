"""synth-msvd-qa: the MSVD-QA layout, videos named through `youtube_mapping.txt`.

- `train_qa.json`, `val_qa.json`, `test_qa.json`: lists of {"video_id": N (int, of vidN), "id",
  "question", "answer"}; videos split by number like the real set (first 61% train, next 5%
  val, the rest test), question ids running on across the files;
- `youtube_mapping.txt`: one `<youtubeid>_<start>_<end> vid<N>` line per video, N from 1;
  invented 11-character ids may contain '-' and '_' and may start with '-', as real ones do,
  so split the clip name from the right (`rsplit("_", 2)`);
- `videos/<youtubeid>_<start>_<end>.avi` (AVI, MPEG-4 Part 2), like MSVD's YouTubeClips.
Questions use the MSVD-QA templates ("what is spinning?", "what is the red thing doing?").
"""

from __future__ import annotations

from ..plan import PartPlan, PlannedVideo, dumps, question_row
from ..qa import ask
from ..scene import clip_shot, family_graph
from ..seeding import rng_for, unique_youtube_ids
from ..sizes import SuiteSize
from ..spec import VideoSpec
from ..vocabulary import CLIP_FPS

NAME, KIND = "synth-msvd-qa", "msvd-qa"
FAMILY = 3
FILES = {"train": "train_qa.json", "val": "val_qa.json", "test": "test_qa.json"}


def splits(n: int) -> list[str]:
    n_train = max(1, round(0.61 * n))
    n_val = max(1, round(0.05 * n))
    return ["train"] * n_train + ["val"] * n_val + ["test"] * (n - n_train - n_val)


def plan(size: SuiteSize, seed: int) -> PartPlan:
    n = size.msvd_videos
    yids = unique_youtube_ids(seed, NAME, n)
    videos, mapping = [], []
    graphs = []
    for i, yid in enumerate(yids):
        rng = rng_for(seed, NAME, i)
        graph, _ = family_graph(rng_for(seed, NAME, "family", i // FAMILY), rng, i % FAMILY)
        start = int(rng.integers(0, 300))
        stem = f"{yid}_{start}_{start + int(rng.integers(4, 16))}"
        videos.append(PlannedVideo(stem, f"videos/{stem}.avi", VideoSpec(CLIP_FPS, (clip_shot(graph, rng),))))
        mapping.append(f"{stem} vid{i + 1}")
        graphs.append(graph)
    split_of = splits(n)
    rows: dict[str, list[dict]] = {s: [] for s in FILES}
    questions: dict[str, dict] = {}
    qid = 0
    for split in FILES:
        for i in range(n):
            if split_of[i] != split:
                continue
            for q in ask(graphs[i], rng_for(seed, NAME, i, "qa"), "msvd", size.msvd_qa_per_video):
                rows[split].append({"video_id": i + 1, "id": qid, "question": q.question, "answer": q.answer})
                key, row = question_row(q, videos[i].stem, split, qid)
                questions[key] = row
                qid += 1
    files = {FILES[s]: dumps(rows[s]) for s in FILES}
    files["youtube_mapping.txt"] = "\n".join(mapping) + "\n"
    counts = {"videos": n, "questions": qid, **{f"{s}_questions": len(rows[s]) for s in FILES},
              **{f"{s}_videos": split_of.count(s) for s in FILES}}
    return PartPlan(NAME, KIND, videos, files, counts, questions)
