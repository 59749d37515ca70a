"""MSVD-QA: open-ended questions on MSVD (YouTube) clips, named through `youtube_mapping.txt`.

Files `train_qa.json`, `test_qa.json` (required) and `val_qa.json` at the root or under
annotations/: lists of `{"video_id": N, "id", "question", "answer"}`; `youtube_mapping.txt`
(root or annotations/): lines `<youtube id>_<start>_<end> vid<N>`.
Videos `<youtube id>_<start>_<end>.avi` under `<root>/videos/`, `<root>/YouTubeClips/` (as MSVD
ships) or the folder given with `--videos` (itself, or its `videos/`, `YouTubeClips/`); any extension.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import locate, read_lines, require_file
from core.data.formats.qa_files import ANNOTATION_DIRS, read_qa_files
from core.data.index import DatasetIndex
from core.data.paths import VideoFinder
from core.errors import UserError

KIND = "msvd-qa"
SOURCE = "https://github.com/xudejing/video-question-answering (QA files + youtube_mapping.txt); " \
         "videos: https://www.cs.utexas.edu/users/ml/clamp/videoDescription/YouTubeClips.tar"
LAYOUT = "train_qa.json, val_qa.json, test_qa.json, youtube_mapping.txt and videos/<youtube id_start_end>.avi"
ROOT_VIDEO_DIRS = ("videos", "YouTubeClips", "video", "")
GIVEN_VIDEO_DIRS = ("", "videos", "YouTubeClips")


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, GIVEN_VIDEO_DIRS if videos else ROOT_VIDEO_DIRS)
    mapping_file = require_file(KIND, root, "youtube_mapping.txt", ANNOTATION_DIRS)
    mapping = read_mapping(mapping_file)

    def to_sample(raw: object, path: Path) -> tuple[str, str, str | None]:
        text = str(raw).strip()
        key = text if text.startswith("vid") else f"vid{text}"
        if key not in mapping:
            raise UserError(f"{KIND}: {path}: video_id {raw!r} ({key}) is not in {mapping_file.name}")
        name = mapping[key]
        listed, found = locate(finder, "videos", f"{name}.avi", f"{KIND}: {mapping_file}")
        return key, listed, found

    splits, files = read_qa_files(KIND, root, to_sample)
    return DatasetIndex(
        kind=KIND, root=root, video_root=video_root, splits=splits, annotation_files=[*files, mapping_file]
    )


def read_mapping(path: Path) -> dict[str, str]:
    """`vid<N>` -> `<youtube id>_<start>_<end>` from the mapping file."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(read_lines(KIND, path), start=1):
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("vid"):
            raise UserError(f"{KIND}: {path} line {number}: expected '<youtube id_start_end> vid<N>', got {line!r}")
        mapping[parts[1]] = parts[0]
    return mapping
