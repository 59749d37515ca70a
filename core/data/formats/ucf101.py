"""UCF101 action recognition, split 1, 2 or 3 (`--split`; the literature averages the three).

Files under `ucfTrainTestlist/` (or the root): `classInd.txt` (`1 ApplyEyeMakeup`, 1-based),
`trainlist0N.txt` (`ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1`, 1-based label) and
`testlist0N.txt` (path only; the label comes from the folder through classInd), N the split.
Videos `<Class>/v_<Class>_gNN_cNN.avi` under `UCF-101/`, `UCF101/`, `videos/` or the root; any
extension. Labels are 0-based in sviml (classInd's number minus one).
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import locate, read_lines, require_file, split_number
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder, safe_relative
from core.errors import UserError

KIND = "ucf101"
SOURCE = "https://www.crcv.ucf.edu/data/UCF101.php (UCF101.rar and UCF101TrainTestSplits-RecognitionTask.zip)"
LAYOUT = "ucfTrainTestlist/{classInd,trainlist01,testlist01}.txt and UCF-101/<Class>/v_<Class>_gNN_cNN.avi"
ANNOTATION_DIRS = ("ucfTrainTestlist", "UCF101TrainTestSplits-RecognitionTask/ucfTrainTestlist", "")
VIDEO_DIRS = ("UCF-101", "UCF101", "videos", "")
SPLITS = ("1", "2", "3")


def read(root: Path, videos: Path | None = None, split: str | None = None) -> DatasetIndex:
    number = split_number(KIND, split)
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    class_file = require_file(KIND, root, "classInd.txt", ANNOTATION_DIRS)
    classes = read_classes(class_file)
    number_of = {name: number for number, name in enumerate(classes)}
    splits: dict[str, list[Sample]] = {}
    files = [class_file]
    for role, name in (("train", f"trainlist0{number}.txt"), ("test", f"testlist0{number}.txt")):
        path = require_file(KIND, root, name, ANNOTATION_DIRS)
        files.append(path)
        samples = []
        for line_no, line in enumerate(read_lines(KIND, path), start=1):
            parts = line.split()
            where = f"{KIND}: {path} line {line_no}"
            rel = safe_relative(parts[0], where)
            folder = rel.parts[0] if len(rel.parts) > 1 else None
            if folder not in number_of:
                raise UserError(f"{where}: folder {folder!r} of {parts[0]!r} is not a class of {class_file.name}")
            label = number_of[folder]
            if len(parts) > 1:
                if not parts[1].isdigit() or int(parts[1]) - 1 != label:
                    raise UserError(f"{where}: label {parts[1]!r} disagrees with folder {folder!r} ({label + 1})")
            listed, found = locate(finder, "UCF-101", rel.as_posix(), where)
            samples.append(Sample(id=rel.stem, video_id=rel.stem, listed=listed, video=found, label=label))
        splits[role] = samples
    return DatasetIndex(
        kind=KIND, root=root, video_root=video_root, splits=splits, annotation_files=files, classes=classes,
        notes=[f"split {number}; labels are 0-based (classInd.txt numbers minus one)"],
        protocol={"split_variant": f"split {number}", "split_number": number},
    )


def read_classes(path: Path) -> list[str]:
    """Class names in label order from `classInd.txt` (1-based, consecutive)."""
    classes: list[str] = []
    for line_no, line in enumerate(read_lines(KIND, path), start=1):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise UserError(f"{KIND}: {path} line {line_no}: expected '<number> <class>', got {line!r}")
        if int(parts[0]) != len(classes) + 1:
            raise UserError(f"{KIND}: {path} line {line_no}: class numbers must run 1, 2, ... in order")
        classes.append(parts[1])
    if not classes:
        raise UserError(f"{KIND}: {path} lists no class")
    return classes
