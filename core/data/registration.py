"""Register a dataset (parse, resolve, check, record) and verify a registered one.

`register_dataset` parses the annotations with the kind's reader, checks that every referenced
video exists and that a sample of them decodes, and saves one registry row: counts per split,
the annotation files' SHA-256, coverage, and the missing or unreadable videos as problems.
Malformed annotations (bad JSON or CSV, missing columns, unknown kind, no samples, a path that
escapes the root) raise a one-line `UserError` and register nothing.

`verify_dataset` re-checks a registered dataset: annotation files changed since registration
(hash mismatch), videos that vanished, and with `full=True` decodes every video.

A problem is a dict `{"problem": "missing" | "unreadable" | "annotation changed" |
"annotations unreadable", "id", "path", "detail", "splits"}`; `id` is the video's id as the
annotations name it and `path` where it was expected (relative to the root or videos folder).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.formats import kind_info, read_index
from core.data.index import DatasetIndex
from core.data.progress import Progress, report
from core.data.video import check_video
from core.errors import UserError
from core.registry.tables import Dataset, utcnow

if TYPE_CHECKING:
    from core.registry import Registry

SHARD_KIND = "webdataset"  # registered by core.data.shards.registration
MAX_STORED_PROBLEMS = 10_000  # beyond this the row keeps a count (a 3M-clip CSV may miss 1M files)
DECODE_CHECKS = 4  # videos decoded at registration: enough to catch a wrong codec or layout


@dataclass
class VideoRef:
    """One distinct video of an index, with the splits that use it."""

    id: str
    listed: str
    found: str | None
    splits: list[str] = field(default_factory=list)


def distinct_videos(index: DatasetIndex) -> list[VideoRef]:
    """Every distinct video the index references, in first-use order."""
    refs: dict[str, VideoRef] = {}
    for split, samples in index.splits.items():
        for sample in samples:
            ref = refs.get(sample.listed)
            if ref is None:
                ref = refs[sample.listed] = VideoRef(sample.video_id, sample.listed, sample.video)
            if split not in ref.splits:
                ref.splits.append(split)
    return list(refs.values())


def _problem(kind: str, ref: VideoRef, detail: str = "") -> dict[str, Any]:
    return {"problem": kind, "id": ref.id, "path": ref.found or ref.listed, "detail": detail, "splits": ref.splits}


def _coverage(index: DatasetIndex, unreadable: set[str]) -> dict[str, dict[str, int]]:
    coverage = {}
    for split, samples in index.splits.items():
        videos = {s.listed: s.video for s in samples}
        usable = sum(1 for listed, found in videos.items() if found is not None and listed not in unreadable)
        coverage[split] = {"samples": len(samples), "videos": len(videos), "found": usable}
    return coverage


def _spread(items: list[VideoRef], count: int) -> list[VideoRef]:
    """`count` items evenly spread over the list (deterministic)."""
    if len(items) <= count:
        return items
    return [items[(i * len(items)) // count] for i in range(count)]


def _decode(index: DatasetIndex, refs: list[VideoRef], full: bool, progress: Progress | None,
            step: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Problems of the videos in `refs` that do not decode, and their listed paths (threads:
    decoding releases the GIL)."""
    problems = []
    unreadable = set()
    report(progress, step, 0, len(refs))
    workers = max(1, min(8, os.cpu_count() or 1)) if full else 1
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda r: check_video(index.video_root / r.found, full=full, fps=index.frame_fps), refs)
        for done, (ref, error) in enumerate(zip(refs, results, strict=True), start=1):
            if error is not None:
                problems.append(_problem("unreadable", ref, error))
                unreadable.add(ref.listed)
            report(progress, step, done, len(refs))
    return problems, unreadable


def stored_problems(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(problems) <= MAX_STORED_PROBLEMS:
        return problems
    rest = len(problems) - MAX_STORED_PROBLEMS
    return [*problems[:MAX_STORED_PROBLEMS],
            {"problem": "more", "id": "", "path": "", "detail": f"{rest} more problems not stored", "splits": []}]


def _check_frame_folder_rates(index: DatasetIndex) -> None:
    """A time window inside a frame folder needs a frame rate: the annotations' duration or `--fps`."""
    if index.frame_fps is not None:
        return
    for samples in index.splits.values():
        for sample in samples:
            if (sample.start is None and sample.end is None) or sample.duration or sample.video is None:
                continue
            if (index.video_root / sample.video).is_dir():
                raise UserError(f"{index.kind}: {sample.video} is a frame folder and sample {sample.id} is a time "
                                "window of it: give the frames' rate with --fps")


def register_dataset(
    registry: Registry,
    kind: str,
    root: str | Path,
    name: str | None = None,
    videos: str | Path | None = None,
    meta: dict[str, Any] | None = None,
    progress: Progress | None = None,
    fps: float | None = None,
    split: str | None = None,
) -> Dataset:
    """Parse, resolve and check the dataset of `kind` under `root`, then save it as `name` (default: kind).
    `fps`: the frame rate of videos stored as frame folders (when the annotations do not give it);
    `split`: the split variant of kinds that have several (msrvtt 9k/7k/full/lavis, ucf101/hmdb51 1/2/3).
    Kind `webdataset`: `root` is a folder of shards or a brace pattern (`core.data.shards`)."""
    if kind == SHARD_KIND:
        from core.data.shards.registration import register_webdataset

        return register_webdataset(registry, root, name=name, meta=meta, progress=progress)
    kind_info(kind)
    if fps is not None and not (fps > 0 and math.isfinite(fps)):
        raise UserError(f"--fps must be a positive number, got {fps}")
    report(progress, f"{kind}: reading annotations", 0, None)
    index = read_index(kind, Path(root), Path(videos) if videos is not None else None, fps=fps, split=split)
    if len(index) == 0:
        raise UserError(f"{kind}: the annotations under {index.root} list no sample")
    _check_frame_folder_rates(index)
    videos_folder = index.video_root
    if meta and meta.get("compressed"):  # a derived dataset: `sviml data compress`'s videos
        from core.data.compress import apply_compression

        index = apply_compression(index, meta["compressed"])
    step = f"{kind}: hashing annotations"
    report(progress, step, 0, len(index.annotation_files))
    hashes = index.hashes(lambda done, total: report(progress, step, done, total))
    refs = distinct_videos(index)
    problems = [_problem("missing", ref) for ref in refs if ref.found is None]
    present = [ref for ref in refs if ref.found is not None]
    broken, unreadable = _decode(index, _spread(present, DECODE_CHECKS), False, progress, f"{kind}: decoding a sample")
    problems += broken
    from core.data.synth.suite import part_meta

    # A generated synthetic part's manifest gives its meta (synthetic, size, seed, ground truth).
    record = {**(part_meta(Path(index.root)) or {}), **(meta or {})}
    record.update({
        "coverage": _coverage(index, unreadable),
        "videos_total": len(refs),
        "videos_found": len(present),
        "problem_count": len(problems),
        "classes": len(index.classes),
        "notes": index.notes,
    })
    if videos_folder != index.root:
        record["videos"] = str(videos_folder)
    if fps is not None:
        record["fps"] = fps
    if split is not None:
        record["split"] = split
    if index.protocol:
        record["protocol"] = {**record.get("protocol", {}), **index.protocol}
    dataset = Dataset(
        name=name or kind, kind=kind, root=str(index.root), counts=index.counts(), hashes=hashes,
        status="problems" if problems else "ok", problems=stored_problems(problems), meta=record, verified_at=utcnow(),
    )
    return registry.save_dataset(dataset)


@dataclass
class VerifyReport:
    """What `verify_dataset` found. `ok` when no problem."""

    name: str
    kind: str
    root: str
    full: bool
    videos: int = 0
    found: int = 0
    decoded: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "root": self.root, "full": self.full, "ok": self.ok,
                "videos": self.videos, "found": self.found, "decoded": self.decoded, "problems": self.problems}


def _hash_problems(registered: dict[str, str], current: dict[str, str]) -> list[dict[str, Any]]:
    problems = []
    for path in sorted(set(registered) | set(current)):
        before, now = registered.get(path), current.get(path)
        if before != now:
            detail = "new file" if before is None else "file gone" if now is None else \
                f"sha256 was {before[:12]}..., now {now[:12]}..."
            problems.append({"problem": "annotation changed", "id": path, "path": path, "detail": detail,
                             "splits": []})
    return problems


def verify_dataset(registry: Registry, name: str, full: bool = False, progress: Progress | None = None) -> VerifyReport:
    """Re-check a registered dataset and record the result (status, problems, verified_at)."""
    dataset = registry.require_dataset(name)
    result = VerifyReport(name=dataset.name, kind=dataset.kind, root=dataset.root, full=full)
    if dataset.kind == SHARD_KIND:
        from core.data.shards.registration import verify_webdataset

        verify_webdataset(registry, dataset, full, progress, result)
        return _record_verification(registry, dataset, result)
    try:
        report(progress, f"{name}: reading annotations", 0, None)
        index = registered_index(dataset)
    except UserError as err:
        result.problems.append({"problem": "annotations unreadable", "id": dataset.name, "path": dataset.root,
                                "detail": str(err), "splits": []})
        index = None
    if index is not None:
        step = f"{name}: hashing annotations"
        report(progress, step, 0, len(index.annotation_files))
        current = index.hashes(lambda done, total: report(progress, step, done, total))
        result.problems += _hash_problems(dataset.hashes, current)
        refs = distinct_videos(index)
        result.videos = len(refs)
        present = [r for r in refs if r.found is not None and (index.video_root / r.found).exists()]
        kept = {r.listed for r in present}
        result.found = len(present)
        result.problems += [_problem("missing", r) for r in refs if r.listed not in kept]
        checked = present if full else _spread(present, DECODE_CHECKS)
        step = f"{name}: decoding every video" if full else f"{name}: decoding a sample"
        broken, unreadable = _decode(index, checked, full, progress, step)
        result.problems += broken
        result.decoded = len(checked)
        meta = dict(dataset.meta)
        meta.update({"coverage": _coverage(index, unreadable | {r.listed for r in refs if r.listed not in kept}),
                     "videos_total": len(refs), "videos_found": len(present), "problem_count": len(result.problems)})
        dataset.meta = meta
    return _record_verification(registry, dataset, result)


def _record_verification(registry: Registry, dataset: Dataset, result: VerifyReport) -> VerifyReport:
    dataset.problems = stored_problems(result.problems)
    dataset.status = "problems" if result.problems else "ok"
    dataset.verified_at = utcnow()
    registry.save_dataset(dataset)
    return result


def registered_index(dataset: Dataset) -> DatasetIndex:
    """The index of a registered file dataset, read as registered: its videos folder, frame rate,
    split variant, and for a compressed one the transcoded videos."""
    meta = dataset.meta
    videos = meta.get("videos")
    index = read_index(dataset.kind, Path(dataset.root), Path(videos) if videos else None, fps=meta.get("fps"),
                       split=meta.get("split"))
    if meta.get("compressed"):
        from core.data.compress import apply_compression

        index = apply_compression(index, meta["compressed"])
    return index


def load_registered(registry: Registry, name: str, check_hashes: bool = True) -> DatasetIndex:
    """The index of a registered dataset, re-read from its root (what training and evaluation use).

    `check_hashes`: refuse annotations that changed since registration (results would not be
    comparable with those recorded against the registered files).
    """
    dataset = registry.require_dataset(name)
    if dataset.kind == SHARD_KIND:
        raise UserError(f"{name} is a WebDataset of shards: it streams in pre-training (data.datasets), "
                        "it has no annotation index")
    index = registered_index(dataset)
    if check_hashes:
        changed = _hash_problems(dataset.hashes, index.hashes())
        if changed:
            raise UserError(f"annotations of {name} changed since registration ({changed[0]['path']}: "
                            f"{changed[0]['detail']}): check with `sviml data verify {name}`, re-register with "
                            f"`sviml data add {dataset.kind} --root {dataset.root} --name {name}`")
    return index
