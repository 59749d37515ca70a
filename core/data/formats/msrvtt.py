"""MSR-VTT retrieval: the 9k train split and the 1k-A (JSFusion) test split, which sviml calls `test`.

Files (at the root, or under annotation/, annotations/, msrvtt_data/, MSRVTT/, MSRVTT/annotation/):
- `MSRVTT_JSFUSION_test.csv` (required): `key,vid_key,video_id,sentence`, `,` or `;` separated;
  one sample per video with its sentence(s).
- `MSRVTT_train.9k.csv` (column `video_id`) with `MSRVTT_data.json` (`sentences`: video_id,
  caption): the train split, one sample per video with its ~20 captions. Both or neither.
Videos `video<N>.mp4` under videos/all/, videos/, MSRVTT/videos/all/, TrainValVideo/ + TestVideo/,
MSRVTT_Videos/ or the root; any video extension.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import (
    field,
    find_file,
    load_json,
    locate,
    read_csv_table,
    require_file,
)
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder
from core.errors import UserError

KIND = "msrvtt"
SOURCE = "https://www.robots.ox.ac.uk/~maxbain/frozen-in-time/data/MSRVTT.zip (videos + annotations)"
LAYOUT = "MSRVTT_JSFUSION_test.csv, MSRVTT_train.9k.csv, MSRVTT_data.json and videos/all/video<N>.mp4"
ANNOTATION_DIRS = ("", "annotation", "annotations", "msrvtt_data", "MSRVTT", "MSRVTT/annotation", "MSRVTT/annotations")
VIDEO_DIRS = ("videos/all", "videos", "MSRVTT/videos/all", "TrainValVideo", "TestVideo", "MSRVTT_Videos", "all", "")


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    test_csv = require_file(KIND, root, "MSRVTT_JSFUSION_test.csv", ANNOTATION_DIRS)
    files = [test_csv]
    splits: dict[str, list[Sample]] = {}

    train_csv = find_file(root, "MSRVTT_train.9k.csv", ANNOTATION_DIRS)
    if train_csv is not None:
        data_json = require_file(KIND, root, "MSRVTT_data.json", ANNOTATION_DIRS)
        files += [train_csv, data_json]
        captions = _captions_by_video(data_json)
        rows, _ = read_csv_table(KIND, train_csv, ["video_id"])
        train = []
        for row in rows:
            vid = row["video_id"]
            if vid not in captions:
                raise UserError(f"{KIND}: {train_csv}: {vid} has no sentence in {data_json.name}")
            train.append(_sample(finder, vid, captions[vid], train_csv))
        splits["train"] = train

    rows, _ = read_csv_table(KIND, test_csv, ["video_id", "sentence"], last_absorbs=True)
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row["video_id"], []).append(row["sentence"])
    splits["test"] = [_sample(finder, vid, sentences, test_csv) for vid, sentences in grouped.items()]
    return DatasetIndex(
        kind=KIND, root=root, video_root=video_root, splits=splits, annotation_files=files,
        notes=["`test` is the 1k-A (JSFusion) split, which some codebases call `val`"],
    )


def _captions_by_video(path: Path) -> dict[str, list[str]]:
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


def _sample(finder: VideoFinder, vid: str, captions: list[str], source: Path) -> Sample:
    listed, found = locate(finder, "videos/all", f"{vid}.mp4", f"{KIND}: {source}")
    return Sample(id=vid, video_id=vid, listed=listed, video=found, captions=tuple(captions))
