"""MSR-VTT retrieval in the splits and file formats people download; sviml calls 1k-A `test`.

Splits (`--split`, default: the first whose files are present, in this order):
- `9k`: train = the 9,000 videos of `MSRVTT_train.9k.csv` (with `MSRVTT_data.json`'s ~20 captions
  each) or of VINDLU/UMT's `msrvtt_ret_train9k.json`; test = 1k-A (JSFusion) from
  `MSRVTT_JSFUSION_test.csv` or `msrvtt_ret_test1k.json`.
- `7k`: train = `MSRVTT_train.7k.csv` (+ `MSRVTT_data.json`) or `msrvtt_ret_train7k.json`; test = 1k-A.
- `full`: the official split of `MSRVTT_data.json` (`videos[].split`): train 6,513 / val 497 /
  test 2,990 videos, every caption of each.
- `lavis`: LAVIS's `retrieval_train.json`, `retrieval_val.json`, `retrieval_test.json`.
- `9k-holdout`: for choosing pre-training settings without touching the test set. test = a
  held-out slice of the 9k training videos (every k-th: 1,000 of 9,000, or 40% of a smaller
  train split such as the synthetic suites'; the first caption of each, one per video as in
  1k-A); train = the rest. A zero-shot evaluation on it is a validation set for a model that did
  not pre-train on MSR-VTT (sviml pre-trains on other corpora); register it under its own name
  (`--name msrvtt-holdout`) so its results sit beside, never in place of, 1k-A's.
With no train files at all, only `test` (1k-A) is registered. The split's name goes into every
result's protocol (`split_variant`) and the report's footnote: results on different splits are
different benchmarks.

Formats: `MSRVTT_JSFUSION_test.csv` is `key,vid_key,video_id,sentence`, `,` or `;` separated;
`MSRVTT_train.{9k,7k}.csv` one column `video_id`; the JSON files (VINDLU, UMT, LAVIS) are lists of
`{"video": "video0.mp4", "caption": str or [str]}`, one or several per video.
Files at the root or under annotation/, annotations/, anno_downstream/, msrvtt_data/, MSRVTT/...
Videos `video<N>.mp4` under videos/all/, videos/, MSRVTT/videos/all/, TrainValVideo/ + TestVideo/,
MSRVTT_Videos/, all/ or the root; any video extension or a frame folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from core.data.formats.common import field, find_file, load_json, locate, read_csv_table
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

KIND = "msrvtt"
SOURCE = "https://www.robots.ox.ac.uk/~maxbain/frozen-in-time/data/MSRVTT.zip (videos + annotations)"
LAYOUT = "MSRVTT_JSFUSION_test.csv, MSRVTT_train.9k.csv, MSRVTT_data.json and videos/all/video<N>.mp4"
ANNOTATION_DIRS = ("", "annotation", "annotations", "anno_downstream", "msrvtt_data", "MSRVTT",
                   "MSRVTT/annotation", "MSRVTT/annotations")
VIDEO_DIRS = ("videos/all", "videos", "MSRVTT/videos/all", "TrainValVideo", "TestVideo", "MSRVTT_Videos", "all", "")
SPLITS = ("9k", "7k", "full", "lavis", "9k-holdout")
VARIANTS = {
    "9k": "MSR-VTT 9k train, 1k-A test",
    "7k": "MSR-VTT 7k train, 1k-A test",
    "full": "MSR-VTT official split (6,513 train / 497 val / 2,990 test)",
    "lavis": "LAVIS retrieval_{train,val,test}.json",
    "9k-holdout": "MSR-VTT 9k train's held-out slice as test (settings selection, not a benchmark)",
    "1k-A": "MSR-VTT 1k-A test",
}
_TRAIN_FILES = {"9k": ("MSRVTT_train.9k.csv", "msrvtt_ret_train9k.json"),
                "7k": ("MSRVTT_train.7k.csv", "msrvtt_ret_train7k.json")}
_FULL_ROLES = {"train": "train", "validate": "val", "val": "val", "test": "test"}


class _Reader:
    """One read: the finder, the files read so far, and the per-video samples."""

    def __init__(self, root: Path, video_root: Path):
        self.root = root
        self.finder = VideoFinder(video_root, VIDEO_DIRS)
        self.files: list[Path] = []

    def find(self, name: str) -> Path | None:
        path = find_file(self.root, name, ANNOTATION_DIRS)
        if path is not None and path not in self.files:
            self.files.append(path)
        return path

    def sample(self, vid: str, captions: list[str], source: Path, listed_as: str | None = None) -> Sample:
        relative = listed_as or f"{vid}.mp4"
        listed, found = locate(self.finder, "videos/all", relative, f"{KIND}: {source}")
        return Sample(id=vid, video_id=vid, listed=listed, video=found, captions=tuple(captions))

    def captions_by_video(self, path: Path) -> dict[str, list[str]]:
        data = load_json(KIND, path)
        sentences = field(KIND, path, data, "sentences", "the file")
        if not isinstance(sentences, list):
            raise UserError(f"{KIND}: {path}: 'sentences' is not a list")
        captions: dict[str, list[str]] = {}
        for number, sentence in enumerate(sentences):
            vid = field(KIND, path, sentence, "video_id", f"sentences[{number}]")
            text = field(KIND, path, sentence, "caption", f"sentences[{number}]")
            captions.setdefault(str(vid), []).append(str(text).strip())
        return captions

    def data_json(self, why: str) -> Path:
        path = self.find("MSRVTT_data.json")
        if path is None:
            raise UserError(f"{KIND}: {why} needs MSRVTT_data.json (not found under {self.root}); see docs/datasets.md")
        return path

    def csv_split(self, path: Path) -> list[Sample]:
        """A train list (`video_id` column) with every caption of each video from MSRVTT_data.json."""
        captions = self.captions_by_video(self.data_json(path.name))
        rows, _ = read_csv_table(KIND, path, ["video_id"])
        samples = []
        for row in rows:
            vid = row["video_id"]
            if vid not in captions:
                raise UserError(f"{KIND}: {path}: {vid} has no sentence in MSRVTT_data.json")
            samples.append(self.sample(vid, captions[vid], path))
        return samples

    def json_split(self, path: Path) -> list[Sample]:
        """A VINDLU/UMT/LAVIS list of {"video", "caption": str or [str]}, grouped per video."""
        records = load_json(KIND, path)
        if not isinstance(records, list):
            raise UserError(f"{KIND}: {path}: expected a list of {{video, caption}} records")
        grouped: dict[str, tuple[str, list[str]]] = {}
        for number, record in enumerate(records):
            video = str(field(KIND, path, record, "video", f"record {number}"))
            caption = field(KIND, path, record, "caption", f"record {number}")
            texts = caption if isinstance(caption, list) else [caption]
            rel = safe_relative(video, f"{KIND}: {path} record {number}")
            vid = rel.stem
            grouped.setdefault(vid, (rel.as_posix(), []))[1].extend(str(t).strip() for t in texts)
        return [self.sample(vid, captions, path, listed) for vid, (listed, captions) in grouped.items()]

    def test_1ka(self) -> list[Sample] | None:
        csv_path = self.find("MSRVTT_JSFUSION_test.csv")
        if csv_path is not None:
            rows, _ = read_csv_table(KIND, csv_path, ["video_id", "sentence"], last_absorbs=True)
            grouped: dict[str, list[str]] = {}
            for row in rows:
                grouped.setdefault(row["video_id"], []).append(row["sentence"])
            return [self.sample(vid, sentences, csv_path) for vid, sentences in grouped.items()]
        json_path = self.find("msrvtt_ret_test1k.json")
        return self.json_split(json_path) if json_path is not None else None

    def train(self, variant: str) -> list[Sample] | None:
        csv_name, json_name = _TRAIN_FILES[variant]
        csv_path = self.find(csv_name)
        if csv_path is not None:
            return self.csv_split(csv_path)
        json_path = self.find(json_name)
        return self.json_split(json_path) if json_path is not None else None

    def full(self) -> dict[str, list[Sample]]:
        path = self.data_json("the full split")
        data = load_json(KIND, path)
        videos = field(KIND, path, data, "videos", "the file")
        captions = self.captions_by_video(path)
        splits: dict[str, list[Sample]] = {"train": [], "val": [], "test": []}
        for number, video in enumerate(videos if isinstance(videos, list) else []):
            vid = str(field(KIND, path, video, "video_id", f"videos[{number}]"))
            role = _FULL_ROLES.get(str(field(KIND, path, video, "split", f"videos[{number}]")))
            if role is None:
                raise UserError(f"{KIND}: {path}: videos[{number}] has split {video['split']!r} "
                                "(expected train, validate or test)")
            splits[role].append(self.sample(vid, captions.get(vid, []), path))
        return {name: samples for name, samples in splits.items() if samples}

    def lavis(self) -> dict[str, list[Sample]]:
        splits = {}
        for name in ("train", "val", "test"):
            path = self.find(f"retrieval_{name}.json")
            if path is not None:
                splits[name] = self.json_split(path)
        if "test" not in splits:
            raise UserError(f"{KIND}: --split lavis needs retrieval_test.json under {self.root}")
        return splits


def holdout_split(train: list[Sample]) -> dict[str, list[Sample]]:
    """Every k-th training video (1,000 of 9,000; 40% of a train split under 2,500) with its first
    caption as `test`; the other videos, every caption, as `train`."""
    count = min(1000, len(train) * 2 // 5)
    if count < 2:
        raise UserError(f"{KIND}: --split 9k-holdout needs a train split of at least 5 videos, got {len(train)}")
    picked = {i * len(train) // count for i in range(count)}
    held = [replace(train[i], captions=train[i].captions[:1]) for i in sorted(picked)]
    return {"train": [s for i, s in enumerate(train) if i not in picked], "test": held}


def _present(reader: _Reader) -> str | None:
    for variant in ("9k", "7k"):
        if any(find_file(reader.root, name, ANNOTATION_DIRS) for name in _TRAIN_FILES[variant]):
            return variant
    if find_file(reader.root, "retrieval_test.json", ANNOTATION_DIRS) is not None:
        return "lavis"
    return None


def read(root: Path, videos: Path | None = None, split: str | None = None) -> DatasetIndex:
    reader = _Reader(root, videos or root)
    if split is not None and split not in SPLITS:
        raise UserError(f"{KIND}: --split must be one of {', '.join(SPLITS)}, got {split!r}")
    variant = split or _present(reader) or "1k-A"
    readers: dict[str, Callable[[], dict[str, list[Sample]]]] = {"full": reader.full, "lavis": reader.lavis}
    if variant in readers:
        splits = readers[variant]()
    elif variant == "9k-holdout":
        train = reader.train("9k")
        if train is None:
            raise UserError(f"{KIND}: --split 9k-holdout needs {' or '.join(_TRAIN_FILES['9k'])} under {root}")
        splits = holdout_split(train)
    else:
        test = reader.test_1ka()
        if test is None:
            raise UserError(f"{KIND}: MSRVTT_JSFUSION_test.csv not found under {root} (nor msrvtt_ret_test1k.json; "
                            f"looked in {', '.join(d + '/' if d else './' for d in ANNOTATION_DIRS)}); "
                            "see docs/datasets.md")
        splits = {}
        if variant != "1k-A":
            train = reader.train(variant)
            if train is None:
                raise UserError(f"{KIND}: --split {variant} needs {' or '.join(_TRAIN_FILES[variant])} under {root}")
            splits["train"] = train
        splits["test"] = test
    notes = ["`test` is the 1k-A (JSFusion) split, which some codebases call `val`"] \
        if variant in ("9k", "7k", "1k-A") else [f"split: {VARIANTS[variant]}"]
    return DatasetIndex(kind=KIND, root=root, video_root=videos or root, splits=splits, annotation_files=reader.files,
                        notes=notes, protocol={"split_variant": VARIANTS[variant]})
