"""WebVid (2M / 10M): video-caption pairs for pre-training.

Files: every `*.csv` at the root (or under annotations/, metadata/, data/), header
`videoid,name,page_idx,page_dir,duration,contentUrl` (`name` is the caption; `videoid` and
`name` required). A file whose name contains `val` is split `val`, the others `train`.
Local files under `videos/` or the root, any extension, first found of:
`<page_dir>/<videoid>.<ext>` (the official download script's layout), `<videoid>.<ext>`,
`<page_dir>/<url key>.<ext>`, `<url key>.<ext>` (see `urls.py`).
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import read_csv_table
from core.data.formats.urls import url_key
from core.data.formats.videocc import csv_files
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder, safe_relative

KIND = "webvid"
SOURCE = "https://github.com/m-bain/webvid (results_2M_train.csv, results_2M_val.csv; download the " \
         "videos yourself)"
LAYOUT = "results_2M_{train,val}.csv and videos/<page_dir>/<videoid>.mp4 (or videos/<videoid>.mp4)"
ANNOTATION_DIRS = ("", "annotations", "metadata", "data")
VIDEO_DIRS = ("videos", "")


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    files = csv_files(KIND, root, ANNOTATION_DIRS)
    splits: dict[str, list[Sample]] = {}
    for path in files:
        split = "val" if "val" in path.stem.lower() else "train"
        rows, _ = read_csv_table(KIND, path, ["videoid", "name"])
        samples = splits.setdefault(split, [])
        for number, row in enumerate(rows, start=2):
            where = f"{KIND}: {path} row {number}"
            vid, page = row["videoid"], row.get("page_dir", "")
            key = url_key(row.get("contenturl", ""))
            names = [f"{page}/{vid}.mp4" if page else None, f"{vid}.mp4"]
            names += [f"{page}/{key}.mp4" if page and key else None, f"{key}.mp4" if key else None]
            rels = [safe_relative(name, where) for name in names if name]
            found = next((hit for hit in (finder.find(rel) for rel in rels) if hit), None)
            folder = finder.dirs[0] if finder.dirs else "videos"
            duration = _number(row.get("duration", ""))
            samples.append(Sample(id=vid, video_id=vid, listed=f"{folder}/{rels[0].as_posix()}".lstrip("/"),
                                  video=found, captions=(row["name"],), duration=duration))
    return DatasetIndex(kind=KIND, root=root, video_root=video_root, splits=splits, annotation_files=files)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
