"""VideoCC (VideoCC3M): clip-caption pairs for pre-training.

Files: every `*.csv` at the root (or under annotations/, metadata/), no header, rows
`video URL, start (microseconds), end (microseconds), caption`; all in split `train`. Rows of
the same clip are one sample with several captions.
Local files (see `urls.py` for the URL -> key rule), under `videos/`, `clips/` or the root, any
extension: first `<key>_<start us>_<end us>.<ext>` (the clip, cut at download: read whole), then
`<key>.<ext>` (the whole video: the clip is its [start, end] window).
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import parse_float, read_csv_rows
from core.data.formats.urls import url_key
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

KIND = "videocc"
SOURCE = "https://github.com/google-research-datasets/videoCC-data (video_cc_public.csv; download the " \
         "clips yourself)"
LAYOUT = "*.csv (URL,start_us,end_us,caption; no header) and videos/<key>_<start_us>_<end_us>.mp4 " \
         "or videos/<key>.mp4"
ANNOTATION_DIRS = ("", "annotations", "metadata")
VIDEO_DIRS = ("videos", "clips", "")


def csv_files(kind: str, root: Path, dirs: tuple[str, ...]) -> list[Path]:
    """The `*.csv` files of the first folder in `dirs` that has any."""
    for folder in dirs:
        base = root / folder
        files = sorted(p for p in base.glob("*.csv") if p.is_file()) if base.is_dir() else []
        if files:
            return files
    where = ", ".join(f"{d}/" if d else "./" for d in dirs)
    raise UserError(f"{kind}: no .csv file under {root} (looked in {where}); see docs/datasets.md")


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    files = csv_files(KIND, root, ANNOTATION_DIRS)
    by_id: dict[str, Sample] = {}
    for path in files:
        rows, delimiter = read_csv_rows(KIND, path, delimiter=",")
        for number, row in enumerate(rows, start=1):
            where = f"{KIND}: {path} row {number}"
            if len(row) < 4:
                raise UserError(f"{where}: expected 'URL,start_us,end_us,caption', got {len(row)} cells")
            url, start_us, end_us = (cell.strip() for cell in row[:3])
            caption = delimiter.join(row[3:]).strip()
            start = parse_float(KIND, path, start_us, f"row {number} start") / 1e6
            end = parse_float(KIND, path, end_us, f"row {number} end") / 1e6
            key = url_key(url)
            if not key:
                raise UserError(f"{where}: URL {url!r} names no file")
            clip = f"{key}_{start_us}_{end_us}"
            if clip in by_id:
                by_id[clip].captions += (caption,)
                continue
            rel = safe_relative(f"{clip}.mp4", where)
            folder = finder.dirs[0] if finder.dirs else "videos"
            listed = f"{folder}/{rel.as_posix()}".lstrip("/")
            cut = finder.find(rel)
            whole = None if cut else finder.find(safe_relative(f"{key}.mp4", where))
            window = (None, None) if cut else (start, end)
            by_id[clip] = Sample(id=clip, video_id=key, listed=listed, video=cut or whole,
                                 start=window[0], end=window[1], captions=(caption,))
    return DatasetIndex(kind=KIND, root=root, video_root=video_root, splits={"train": list(by_id.values())},
                        annotation_files=files)
