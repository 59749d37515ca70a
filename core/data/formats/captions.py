"""sviml's own caption CSV: `captions.csv` at the root, header required.

Columns `video_path,caption` and optionally `start,end` (seconds; empty = the whole file) and
`split` (default `train`). `video_path` is relative to the root (absolute paths and `..` are
refused); a listed extension may be found as another one. Rows of the same clip (video, start,
end) are one sample with several captions; sample ids are `<video_path>` or
`<video_path>@<start>-<end>`.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import parse_float, read_csv_table, require_file
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

KIND = "captions"
SOURCE = "your own clips: write captions.csv (video_path,caption[,start,end]) beside them"
LAYOUT = "captions.csv (header video_path,caption[,start,end][,split]) and the videos it names, " \
         "relative to the root"


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    path = require_file(KIND, root, "captions.csv", ("",))
    rows, header = read_csv_table(KIND, path, ["video_path", "caption"])
    finder = VideoFinder(video_root, ("",))
    windowed = "start" in header or "end" in header
    splits: dict[str, dict[str, Sample]] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{KIND}: {path} row {number}"
        rel = safe_relative(row["video_path"], where)
        start = parse_float(KIND, path, row["start"], f"row {number} start") if row.get("start") else None
        end = parse_float(KIND, path, row["end"], f"row {number} end") if row.get("end") else None
        if start is not None and end is not None and end <= start:
            raise UserError(f"{where}: end {end} is not after start {start}")
        clip = rel.as_posix() if not windowed or (start is None and end is None) else \
            f"{rel.as_posix()}@{_fmt(start)}-{_fmt(end)}"
        samples = splits.setdefault(row.get("split") or "train", {})
        if clip in samples:
            samples[clip].captions += (row["caption"],)
            continue
        samples[clip] = Sample(id=clip, video_id=rel.as_posix(), listed=rel.as_posix(), video=finder.find(rel),
                               start=start, end=end, captions=(row["caption"],))
    return DatasetIndex(kind=KIND, root=root, video_root=video_root,
                        splits={name: list(samples.values()) for name, samples in splits.items()},
                        annotation_files=[path])


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
