"""The QA files MSRVTT-QA and MSVD-QA come in, in the three layouts people download.

- xudejing (the datasets' release): `{train,val,test}_qa.json`, lists of `{"video_id", "id",
  "question", "answer"}`; the readers map `video_id` to a file their own way.
- VINDLU / UMT: `<prefix>_qa_{train,val,test}.json` (`msrvtt_qa_train.json`, `msvd_qa_test.json`),
  lists of `{"video": "video0.mp4", "question", "answer": str or [str], "question_id"?}`, and the
  answer list `<prefix>_qa_answer_list.json` (a JSON list).
- LAVIS: `qa_{train,val,test}.json` (same records) and `train_ans2label.json` or
  `qa_ans2label.json` (answer -> class number).
The first layout found wins, in that order. When a layout ships an answer list, it is the
answer vocabulary (`DatasetIndex.answers`) instead of sviml's top-1500 / frequency rule, as
those codebases evaluate; a record with several answers keeps its most frequent one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from core.data.formats.common import field, find_file, load_json, require_file
from core.data.index import Sample
from core.errors import UserError

QA_SPLITS = ("train", "val", "test")
REQUIRED_SPLITS = ("train", "test")
ANNOTATION_DIRS = ("", "annotations", "annotation", "anno_downstream", "qa")
ToSample = Callable[[object, Path], tuple[str, str, str | None]]  # (raw id or file, path) -> (video id, listed, found)


class QAFiles:
    """What a QA reader gets back: samples per split, the files read, the layout and its answer list."""

    def __init__(self, splits: dict[str, list[Sample]], files: list[Path], layout: str, answers: list[str] | None):
        self.splits, self.files, self.layout, self.answers = splits, files, layout, answers


def _answer(kind: str, path: Path, record: object, where: str) -> str:
    answer = field(kind, path, record, "answer", where)
    if isinstance(answer, list):
        if not answer:
            raise UserError(f"{kind}: {path}: {where} has an empty answer list")
        return str(Counter(str(a).strip() for a in answer).most_common(1)[0][0])
    return str(answer).strip()


def _read_split(kind: str, path: Path, video_key: str, to_sample: ToSample) -> list[Sample]:
    records = load_json(kind, path)
    if not isinstance(records, list):
        raise UserError(f"{kind}: {path}: expected a list of questions, got a {type(records).__name__}")
    samples = []
    for number, record in enumerate(records):
        where = f"question {number}"
        raw_video = field(kind, path, record, video_key, where)
        question = str(field(kind, path, record, "question", where)).strip()
        answer = _answer(kind, path, record, where)
        video_id, listed, found = to_sample(raw_video, path)
        qid = str(record.get("id", record.get("question_id", number)))
        samples.append(Sample(id=qid, video_id=video_id, listed=listed, video=found, question=question, answer=answer))
    return samples


def _answer_list(kind: str, root: Path, names: tuple[str, ...], files: list[Path]) -> list[str] | None:
    for name in names:
        path = find_file(root, name, ANNOTATION_DIRS)
        if path is None:
            continue
        files.append(path)
        value = load_json(kind, path)
        if isinstance(value, dict):  # answer -> class number
            return [str(a) for a, _ in sorted(value.items(), key=lambda item: item[1])]
        if isinstance(value, list):
            return [str(a) for a in value]
        raise UserError(f"{kind}: {path}: expected a list of answers or an answer -> number object")
    return None


def read_qa_files(kind: str, root: Path, by_id: ToSample, by_file: ToSample, prefix: str) -> QAFiles:
    """The QA files under `root` in the first layout present (see the module docstring).

    `by_id` maps the release's `video_id`, `by_file` the JSON layouts' `video` file name.
    """
    layouts = (
        ("xudejing", "{split}_qa.json", "video_id", by_id, ()),
        ("VINDLU", f"{prefix}_qa_{{split}}.json", "video", by_file, (f"{prefix}_qa_answer_list.json",)),
        ("LAVIS", "qa_{split}.json", "video", by_file, ("train_ans2label.json", "qa_ans2label.json")),
    )
    for layout, pattern, video_key, to_sample, answer_files in layouts:
        if find_file(root, pattern.format(split="train"), ANNOTATION_DIRS) is None:
            continue
        splits: dict[str, list[Sample]] = {}
        files: list[Path] = []
        for split in QA_SPLITS:
            name = pattern.format(split=split)
            path = require_file(kind, root, name, ANNOTATION_DIRS) if split in REQUIRED_SPLITS \
                else find_file(root, name, ANNOTATION_DIRS)
            if path is None:
                continue
            files.append(path)
            splits[split] = _read_split(kind, path, video_key, to_sample)
        return QAFiles(splits, files, layout, _answer_list(kind, root, answer_files, files))
    expected = f"train_qa.json, {prefix}_qa_train.json or qa_train.json"
    raise UserError(f"{kind}: no QA file under {root} (expected {expected}); see docs/datasets.md")


def qa_protocol(qa: QAFiles) -> dict[str, str]:
    """What a QA result's protocol records of the files: their layout and where the vocabulary came from."""
    vocabulary = "the answer list shipped with the files" if qa.answers is not None else "sviml's rule on train answers"
    return {"split_variant": f"{qa.layout} QA files", "answer_vocabulary": vocabulary}
