"""HMDB51 action recognition, split 1, 2 or 3 (`--split`; the literature averages the three).

Files `<class>_test_split<N>.txt` under `testTrainMulti_7030_splits/` (or `splits/`, the root):
lines `<video>.avi <id>` with 1 = train, 2 = test, 0 = unused. Class names come from the file
names, labels are their 0-based alphabetical order. Videos `<class>/<video>.avi` under
`hmdb51/`, `hmdb51_org/`, `HMDB51/`, `videos/` or the root; any extension.
Only the chosen split's files are read (and hashed).
"""

from __future__ import annotations

import re
from pathlib import Path

from core.data.formats.common import locate, read_lines, split_number
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder
from core.errors import UserError

KIND = "hmdb51"
SOURCE = "https://serre-lab.clps.brown.edu/resource/hmdb-a-large-human-motion-database/ " \
         "(hmdb51_org.rar and test_train_splits.rar)"
LAYOUT = "testTrainMulti_7030_splits/<class>_test_split1.txt and hmdb51/<class>/<video>.avi"
ANNOTATION_DIRS = ("testTrainMulti_7030_splits", "splits", "test_train_splits", "")
VIDEO_DIRS = ("hmdb51", "hmdb51_org", "HMDB51", "videos", "")
_ROLES = {"1": "train", "2": "test"}
SPLITS = ("1", "2", "3")


def read(root: Path, videos: Path | None = None, split: str | None = None) -> DatasetIndex:
    number = split_number(KIND, split)
    video_root = videos or root
    split_files = _split_files(root, number)
    classes = sorted(split_files)
    finder = VideoFinder(video_root, VIDEO_DIRS)
    splits: dict[str, list[Sample]] = {"train": [], "test": []}
    for label, name in enumerate(classes):
        path = split_files[name]
        for line_no, line in enumerate(read_lines(KIND, path), start=1):
            parts = line.split()
            where = f"{KIND}: {path} line {line_no}"
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise UserError(f"{where}: expected '<video>.avi <0|1|2>', got {line!r}")
            if parts[1] == "0":
                continue
            listed, found = locate(finder, "hmdb51", f"{name}/{parts[0]}", where)
            stem = Path(parts[0]).stem
            splits[_ROLES[parts[1]]].append(
                Sample(id=stem, video_id=stem, listed=listed, video=found, label=label)
            )
    return DatasetIndex(
        kind=KIND, root=root, video_root=video_root, splits=splits, classes=classes,
        annotation_files=[split_files[name] for name in classes],
        notes=[f"split {number}; labels are the classes' 0-based alphabetical order"],
        protocol={"split_variant": f"split {number}", "split_number": number},
    )


def _split_files(root: Path, number: int) -> dict[str, Path]:
    """class name -> its split-N file, from the first annotation folder that has any."""
    pattern = re.compile(rf"^(?P<name>.+)_test_split{number}\.txt$")
    for folder in ANNOTATION_DIRS:
        base = root / folder
        if not base.is_dir():
            continue
        found = {}
        for path in sorted(base.iterdir()):
            match = pattern.match(path.name)
            if match and path.is_file():
                found[match["name"]] = path
        if found:
            return found
    where = ", ".join(f"{d}/" if d else "./" for d in ANNOTATION_DIRS)
    raise UserError(f"{KIND}: no <class>_test_split{number}.txt file under {root} (looked in {where}); "
                    "see docs/datasets.md")
