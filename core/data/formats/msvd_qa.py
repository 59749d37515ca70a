"""MSVD-QA: open-ended questions on MSVD (YouTube) clips, named through `youtube_mapping.txt`.

Files `train_qa.json`, `test_qa.json` (required) and `val_qa.json` at the root or under
annotations/: lists of `{"video_id": N, "id", "question", "answer"}`; `youtube_mapping.txt`
(root or annotations/): lines `<youtube id>_<start>_<end> vid<N>`. Or VINDLU's
`msvd_qa_{train,val,test}.json` + `msvd_qa_answer_list.json`, or LAVIS's `qa_{train,val,test}.json`
+ `train_ans2label.json`, whose records name the video file itself (no mapping file needed).
Videos `<youtube id>_<start>_<end>.avi` under `<root>/videos/`, `<root>/YouTubeClips/` (as MSVD
ships) or the folder given with `--videos` (itself, or its `videos/`, `YouTubeClips/`); any extension.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import locate, read_lines, require_file
from core.data.formats.qa_files import ANNOTATION_DIRS, qa_protocol, read_qa_files
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
    mapping: dict[str, str] = {}
    files: list[Path] = []

    def by_id(raw: object, path: Path) -> tuple[str, str, str | None]:
        if not files:  # the release's layout: ids go through the mapping file
            files.append(require_file(KIND, root, "youtube_mapping.txt", ANNOTATION_DIRS))
            mapping.update(read_mapping(files[0]))
        text = str(raw).strip()
        key = text if text.startswith("vid") else f"vid{text}"
        if key not in mapping:
            raise UserError(f"{KIND}: {path}: video_id {raw!r} ({key}) is not in {files[0].name}")
        listed, found = locate(finder, "videos", f"{mapping[key]}.avi", f"{KIND}: {files[0]}")
        return key, listed, found

    def by_file(raw: object, path: Path) -> tuple[str, str, str | None]:
        listed, found = locate(finder, "videos", str(raw), f"{KIND}: {path}")
        return Path(str(raw)).stem, listed, found

    qa = read_qa_files(KIND, root, by_id, by_file, "msvd")
    return DatasetIndex(kind=KIND, root=root, video_root=video_root, splits=qa.splits,
                        annotation_files=[*qa.files, *files], answers=qa.answers, protocol=qa_protocol(qa))


def read_mapping(path: Path) -> dict[str, str]:
    """`vid<N>` -> `<youtube id>_<start>_<end>` from the mapping file."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(read_lines(KIND, path), start=1):
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("vid"):
            raise UserError(f"{KIND}: {path} line {number}: expected '<youtube id_start_end> vid<N>', got {line!r}")
        mapping[parts[1]] = parts[0]
    return mapping
