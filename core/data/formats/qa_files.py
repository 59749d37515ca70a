"""The QA files MSRVTT-QA and MSVD-QA share: `{train,val,test}_qa.json`, lists of
`{"video_id", "id", "question", "answer"}`. The readers map `video_id` to a file their own way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.data.formats.common import field, find_file, load_json, require_file
from core.data.index import Sample
from core.errors import UserError

QA_SPLITS = ("train", "val", "test")
REQUIRED_SPLITS = ("train", "test")
ANNOTATION_DIRS = ("", "annotations", "annotation", "qa")


def read_qa_files(
    kind: str, root: Path, to_sample: Callable[[object, Path], tuple[str, str, str | None]]
) -> tuple[dict[str, list[Sample]], list[Path]]:
    """Samples per split and the files read. `to_sample(video_id, path) -> (video id, listed, found)`."""
    splits: dict[str, list[Sample]] = {}
    files: list[Path] = []
    for split in QA_SPLITS:
        name = f"{split}_qa.json"
        if split in REQUIRED_SPLITS:
            path = require_file(kind, root, name, ANNOTATION_DIRS)
        else:
            path = find_file(root, name, ANNOTATION_DIRS)
            if path is None:
                continue
        files.append(path)
        records = load_json(kind, path)
        if not isinstance(records, list):
            raise UserError(f"{kind}: {path}: expected a list of questions, got a {type(records).__name__}")
        samples = []
        for number, record in enumerate(records):
            where = f"question {number}"
            raw_video = field(kind, path, record, "video_id", where)
            question = str(field(kind, path, record, "question", where)).strip()
            answer = str(field(kind, path, record, "answer", where)).strip()
            video_id, listed, found = to_sample(raw_video, path)
            qid = str(record.get("id", number))
            samples.append(
                Sample(id=qid, video_id=video_id, listed=listed, video=found, question=question, answer=answer)
            )
        splits[split] = samples
    return splits, files
