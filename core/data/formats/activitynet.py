"""ActivityNet v1.3 temporal action localization.

File `activity_net.v1-3.min.json` at the root or under annotations/: `{"version", "taxonomy",
"database": {id: {"subset", "duration", "resolution", "url", "annotations": [{"segment": [s, e],
"label"}]}}}`. Subsets map to splits: training -> `train`, validation -> `val`, testing -> `test`
(no annotations). Classes: the labels that occur, sorted (200 in v1.3).
Videos `v_<id>.<ext>` or `<id>.<ext>` (any video extension) under `videos/`, `videos/<subset>/`
(training, validation, testing, train, val, test), `v1-3/train_val/`, `v1-3/test/` or the root.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import expect, field, load_json, parse_float, require_file
from core.data.index import DatasetIndex, Sample, Segment
from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

KIND = "activitynet"
SOURCE = "http://activity-net.org/download.html (activity_net.v1-3.min.json; videos by request or " \
         "the YouTube URLs)"
LAYOUT = "activity_net.v1-3.min.json and videos/v_<id>.mp4 (or <id>.mp4, any extension)"
ANNOTATION_DIRS = ("", "annotations", "annotation")
SUBSETS = {"training": "train", "validation": "val", "testing": "test"}
VIDEO_DIRS = (
    "videos", "videos/training", "videos/validation", "videos/testing", "videos/train", "videos/val",
    "videos/test", "v1-3/train_val", "v1-3/test", "v1-2/train", "v1-2/val", "v1-2/test", "",
)


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    path = require_file(KIND, root, "activity_net.v1-3.min.json", ANNOTATION_DIRS)
    data = load_json(KIND, path)
    database = field(KIND, path, data, "database", "the file")
    expect(KIND, path, isinstance(database, dict), "'database' is not an object of videos")
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    entries: list[tuple[str, str, float, list[tuple[float, float, str]]]] = []
    for vid, entry in database.items():
        subset = field(KIND, path, entry, "subset", f"database[{vid!r}]")
        if subset not in SUBSETS:
            raise UserError(f"{KIND}: {path}: database[{vid!r}] has subset {subset!r} (expected one of "
                            f"{', '.join(SUBSETS)})")
        duration = parse_float(KIND, path, field(KIND, path, entry, "duration", f"database[{vid!r}]"),
                               f"database[{vid!r}].duration")
        spans = []
        for number, annotation in enumerate(entry.get("annotations") or []):
            where = f"database[{vid!r}].annotations[{number}]"
            segment = field(KIND, path, annotation, "segment", where)
            label = str(field(KIND, path, annotation, "label", where))
            expect(KIND, path, isinstance(segment, list) and len(segment) == 2, f"{where}.segment is not [start, end]")
            start, end = (parse_float(KIND, path, value, f"{where}.segment") for value in segment)
            spans.append((start, end, label))
        entries.append((str(vid), SUBSETS[subset], duration, spans))

    classes = sorted({label for *_, spans in entries for *_, label in spans})
    number_of = {name: number for number, name in enumerate(classes)}
    splits: dict[str, list[Sample]] = {}
    for vid, split, duration, spans in entries:
        listed, found = locate_activitynet(finder, vid, f"{KIND}: {path}")
        segments = tuple(Segment(s, e, number_of[label], label) for s, e, label in spans)
        splits.setdefault(split, []).append(
            Sample(id=vid, video_id=vid, listed=listed, video=found, duration=duration, segments=segments)
        )
    ordered = {name: splits[name] for name in ("train", "val", "test") if name in splits}
    return DatasetIndex(
        kind=KIND, root=root, video_root=video_root, splits=ordered, annotation_files=[path], classes=classes,
        notes=["missing videos are common in public copies: evaluation reports coverage"],
    )


def locate_activitynet(finder: VideoFinder, vid: str, where: str) -> tuple[str, str | None]:
    """(expected path, found path) of an ActivityNet video: `v_<id>.*` or `<id>.*` (ids with or
    without the `v_` prefix, as ActivityNet Captions writes them)."""
    bare = vid[2:] if vid.startswith("v_") else vid
    rel = safe_relative(f"v_{bare}.mp4", where)
    folder = finder.dirs[0] if finder.dirs else "videos"
    listed = f"{folder}/{rel.as_posix()}".lstrip("/")
    return listed, finder.find(rel, stems=[f"v_{bare}", bare])
