"""MSRVTT-QA: open-ended questions on MSR-VTT videos.

Files `train_qa.json`, `test_qa.json` (required) and `val_qa.json` at the root or under
annotations/: lists of `{"video_id": N, "id", "question", "answer"}`, N the number in videoN; or
VINDLU's `msrvtt_qa_{train,val,test}.json` + `msrvtt_qa_answer_list.json`, or LAVIS's
`qa_{train,val,test}.json` + `train_ans2label.json` (`core.data.formats.qa_files`).
Videos `video<N>.mp4` under `<root>/videos/all/` (symlink or copy MSR-VTT's videos folder there),
`<root>/videos/`, `<root>/video/`, or the folder given with `--videos` (itself, or its `all/`,
`videos/all/`, `TrainValVideo/` + `TestVideo/`); any video extension.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.common import locate
from core.data.formats.qa_files import qa_protocol, read_qa_files
from core.data.index import DatasetIndex
from core.data.paths import VideoFinder
from core.errors import UserError

KIND = "msrvtt-qa"
SOURCE = "https://github.com/xudejing/video-question-answering (QA files); videos from MSR-VTT"
LAYOUT = "train_qa.json, val_qa.json, test_qa.json and videos/all/video<N>.mp4 (or --videos PATH)"
ROOT_VIDEO_DIRS = ("videos/all", "videos", "video", "MSRVTT/videos/all", "TrainValVideo", "TestVideo")
GIVEN_VIDEO_DIRS = ("", "all", "videos/all", "videos", "TrainValVideo", "TestVideo")


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, GIVEN_VIDEO_DIRS if videos else ROOT_VIDEO_DIRS)

    def by_id(raw: object, path: Path) -> tuple[str, str, str | None]:
        video_id = video_name(raw, path)
        listed, found = locate(finder, "videos/all", f"{video_id}.mp4", f"{KIND}: {path}")
        return video_id, listed, found

    def by_file(raw: object, path: Path) -> tuple[str, str, str | None]:
        listed, found = locate(finder, "videos/all", str(raw), f"{KIND}: {path}")
        return Path(str(raw)).stem, listed, found

    qa = read_qa_files(KIND, root, by_id, by_file, "msrvtt")
    return DatasetIndex(kind=KIND, root=root, video_root=video_root, splits=qa.splits, annotation_files=qa.files,
                        answers=qa.answers, protocol=qa_protocol(qa))


def video_name(raw: object, path: Path) -> str:
    """`videoN` from the `video_id` field: an int N, or "N", or already "videoN"."""
    text = str(raw).strip()
    if text.isdigit():
        return f"video{int(text)}"
    if text.startswith("video") and text[5:].isdigit():
        return text
    raise UserError(f"{KIND}: {path}: video_id {raw!r} is neither a number nor videoN")
