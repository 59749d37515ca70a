"""synth-msrvtt: the MSR-VTT retrieval layout (JSON of videos and sentences, 9k and 1k-A splits).

Files, as in the public release and the CLIP4Clip/JSFusion split files:
- `MSRVTT_data.json`: {"info", "videos": [{"category", "url", "video_id", "start time",
  "end time", "split", "id"}], "sentences": [{"caption", "video_id", "sen_id"}]}; the json
  split follows the official proportions: first 65% "train", next 5% "validate", rest "test";
- `MSRVTT_train.9k.csv` (column `video_id`): every video outside the 1k-A-style test split;
- `MSRVTT_JSFUSION_test.csv` (`key,vid_key,video_id,sentence`): the test split, drawn from the
  json "test" videos, one caption each, rows shuffled like the real file;
- `videos/all/video<N>.mp4`.
Captions use the "msrvtt" style: lower case without any punctuation, so no field needs quoting.
Videos come in families of 3 consecutive ids (anchor + one-edit variants): the test split holds
hard negatives for one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..captions import describe
from ..plan import PartPlan, PlannedVideo, dumps
from ..scene import Graph, clip_shot, family_graph
from ..seeding import rng_for, unique_youtube_ids
from ..sizes import SuiteSize
from ..spec import VideoSpec
from ..vocabulary import CLIP_FPS

NAME, KIND = "synth-msrvtt", "msrvtt"
FAMILY = 3


@dataclass(frozen=True)
class MsrvttVideo:
    number: int  # N of videoN
    split: str  # the json split: "train" | "validate" | "test"
    graph: Graph
    spec: VideoSpec

    @property
    def stem(self) -> str:
        return f"video{self.number}"

    @property
    def path(self) -> str:
        return f"videos/all/{self.stem}.mp4"


def json_splits(n: int, n_test: int) -> list[str]:
    """The official-style split of each video: 65% train, 5% validate, the rest (>= n_test) test."""
    n_val = max(1, round(0.05 * n))
    n_json_test = max(n_test, round(0.3 * n))
    n_train = n - n_val - n_json_test
    if n_train < 1:
        raise ValueError(f"{n} MSR-VTT-style videos cannot hold a test split of {n_test}")
    return ["train"] * n_train + ["validate"] * n_val + ["test"] * n_json_test


def scenes(size: SuiteSize, seed: int) -> list[MsrvttVideo]:
    """The videos of the part (also the MSRVTT-QA-style part's videos, as in the real datasets)."""
    out = []
    for i, split in enumerate(json_splits(size.msrvtt_videos, size.msrvtt_test)):
        rng = rng_for(seed, NAME, i)
        graph, _ = family_graph(rng_for(seed, NAME, "family", i // FAMILY), rng, i % FAMILY)
        out.append(MsrvttVideo(i, split, graph, VideoSpec(CLIP_FPS, (clip_shot(graph, rng),))))
    return out


def plan(size: SuiteSize, seed: int) -> PartPlan:
    items = scenes(size, seed)
    yids = unique_youtube_ids(seed, NAME, len(items))
    videos, json_videos, sentences = [], [], []
    for v, yid in zip(items, yids, strict=True):
        rng = rng_for(seed, NAME, v.number, "captions")
        pv = PlannedVideo(v.stem, v.path, v.spec)
        start = round(float(rng.uniform(0, 300)), 2)
        json_videos.append({"category": int(rng.integers(0, 20)), "url": f"https://www.youtube.com/watch?v={yid}",
                            "video_id": v.stem, "start time": start, "end time": round(start + 2.0, 2),
                            "split": v.split, "id": v.number})
        for _ in range(size.msrvtt_captions):
            cap = describe(v.graph, rng, "msrvtt")
            pv.captions.append((0, cap, None, None))
            sentences.append({"caption": cap.text, "video_id": v.stem, "sen_id": len(sentences)})
        videos.append(pv)
    data = {"info": {"contributor": "sviml synthetic suite", "data_created": "", "version": "1.0",
                     "description": "MSR-VTT-style synthetic shapes", "year": 2024},
            "videos": json_videos, "sentences": sentences}

    rng = rng_for(seed, NAME, "1k-A")
    json_test = [v.number for v in items if v.split == "test"]
    test = sorted(int(x) for x in rng.choice(json_test, size=size.msrvtt_test, replace=False))
    order = [test[int(i)] for i in rng.permutation(len(test))]
    jsfusion = ["key,vid_key,video_id,sentence"]
    for k, n in enumerate(order):
        caps = videos[n].captions
        sentence = caps[int(rng.integers(len(caps)))][1].text
        jsfusion.append(f"ret{k},msr{n},video{n},{sentence}")
    test_set = set(test)
    train9k = ["video_id"] + [v.stem for v in items if v.number not in test_set]
    files = {
        "MSRVTT_data.json": dumps(data),
        "MSRVTT_train.9k.csv": "\n".join(train9k) + "\n",
        "MSRVTT_JSFUSION_test.csv": "\n".join(jsfusion) + "\n",
    }
    counts = {"videos": len(videos), "sentences": len(sentences), "train_9k": len(train9k) - 1,
              "test_1k_a": len(test), **{f"json_{s}": sum(v.split == s for v in items)
                                        for s in ("train", "validate", "test")}}
    return PartPlan(NAME, KIND, videos, files, counts)
