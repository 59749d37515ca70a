"""`sviml data compress NAME --out DIR`: every video of a dataset transcoded once, for cheap decoding.

Real footage as downloaded (720p, long GOPs, B-frames) costs a training loader several times
what the same clips cost at a short side of 256 with a keyframe every 8 frames (BENCHMARKS.md).
Peer codebases ship the same step (CLIP4Clip's `compress_video.py`, MMAction2's resize scripts);
here it is resumable and recorded:

- Files: each distinct video (or frame folder) `<videos>/<path>` becomes `DIR/<path>.mp4`
  (H.264, `core.data.transcode`), in `workers` processes with a progress bar. A video already in
  DIR is kept (each is written to a temporary name and renamed when complete), so a killed run
  continues where it stopped and never leaves a half-written file under a final name.
- Shards: each shard becomes `DIR/<shard>` with every video member transcoded and the caption
  members copied (same keys), plus its `_stats.json`.
- The result is registered as a derived dataset (default `NAME-<short side>p`): the same
  annotations (their hashes must still match), its videos under DIR, and the transcoding
  parameters in `meta["compressed"]` and in `meta["protocol"]["transcode"]`, which every result
  measured on it carries (and the report's footnote shows): compression changes the numbers. A
  file dataset's prepared noun phrases carry over (same annotations); shards need
  `sviml data prepare` again (new shards, new tables).
- Videos that do not decode are listed as problems of the derived dataset, never fatal.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.index import DatasetIndex
from core.data.progress import Progress, report
from core.data.registration import SHARD_KIND, distinct_videos
from core.data.transcode import TranscodeError, TranscodeParams, transcode
from core.errors import UserError

if TYPE_CHECKING:
    from core.registry import Dataset, Registry

PART = ".part"  # temporary files carry it; a new run deletes those a killed one left


@dataclass
class CompressResult:
    name: str
    out: Path
    done: int  # videos (or shards) transcoded by this call
    kept: int  # already there from an earlier call
    failed: list[dict[str, Any]] = field(default_factory=list)  # problems: video id, path, why


def describe(params: TranscodeParams) -> str:
    """One line for protocols and footnotes: `libx264 short side 256, gop 8, crf 23, fastdecode`."""
    size = f"short side {params.short_side}" if params.short_side else "native size"
    fps = f", {params.fps:g} fps max" if params.fps else ""
    tune = f", {params.tune}" if params.tune and params.codec == "libx264" else ""
    return f"{params.codec} {size}, gop {params.gop}, crf {params.crf}{fps}{tune}"


def compressed_path(found: str) -> str:
    """Where video `found` (relative to the videos folder) goes under the output folder."""
    return f"{found}.mp4" if not Path(found).suffix else str(Path(found).with_suffix(".mp4"))


def apply_compression(index: DatasetIndex, record: dict[str, Any]) -> DatasetIndex:
    """The index of a derived dataset: every found video mapped to its transcoded file under the
    record's folder (None when that file is missing: a failed transcode shows as missing)."""
    out = Path(record["out"])
    for samples in index.splits.values():
        for sample in samples:
            if sample.video is not None:
                target = compressed_path(sample.video)
                sample.listed = target
                sample.video = target if (out / target).is_file() else None
    index.video_root = out
    index.frame_fps = None  # frame folders are files now, with their own rate
    return index


def _clean(out: Path) -> None:
    for leftover in out.rglob(f".*{PART}*"):
        leftover.unlink(missing_ok=True)


def _transcode_file(job: tuple[str, str, str, dict[str, Any], float | None]) -> tuple[str, str | None]:
    """(destination, error or None): one video transcoded (runs in a worker process)."""
    src, dst, _, params, fps = job
    try:
        transcode(src, dst, TranscodeParams(**params), source_fps=fps)
    except (TranscodeError, OSError, ValueError) as err:
        return dst, str(err)
    return dst, None


def _transcode_shard(job: tuple[str, str, str, dict[str, Any], float | None]) -> tuple[str, str | None]:
    """(destination shard, the members that failed, one per line, or None) for one shard."""
    src, dst, _, params, _ = job
    failed: list[str] = []
    handle, tmp = tempfile.mkstemp(dir=Path(dst).parent, prefix=f".{Path(dst).name}.", suffix=PART)
    os.close(handle)
    try:
        kept = _rewrite_shard(Path(src), Path(tmp), TranscodeParams(**params), failed)
        Path(dst).with_name(f"{Path(dst).stem}_stats.json").write_text(json.dumps({"count": kept, "successes": kept}))
        os.replace(tmp, dst)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dst, "\n".join(failed) or None


def _rewrite_shard(src: Path, dst: Path, params: TranscodeParams, failed: list[str]) -> int:
    from core.data.shards.layout import VIDEO_SUFFIXES, split_key

    members: dict[str, list[tuple[str, bytes]]] = {}
    with tarfile.open(src, "r:") as archive:
        for info in archive:
            if info.isfile():
                members.setdefault(split_key(info.name)[0], []).append((info.name, archive.extractfile(info).read()))
    kept = 0
    with tempfile.TemporaryDirectory() as work, tarfile.open(dst, "w", format=tarfile.USTAR_FORMAT) as out:
        for key, files in members.items():
            written: list[tuple[str, bytes]] = []
            for name, data in files:
                if split_key(name)[1] not in VIDEO_SUFFIXES:
                    written.append((name, data))
                    continue
                source, target = Path(work) / f"in{Path(name).suffix}", Path(work) / "out.mp4"
                source.write_bytes(data)
                try:
                    transcode(source, target, params)
                except TranscodeError as err:
                    failed.append(f"{src.name}:{key}\t{str(err).split(': ', 1)[-1]}")
                    written = []
                    break
                written.append((f"{key}.mp4", target.read_bytes()))
            for name, data in written:
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(data), 0
                out.addfile(info, io.BytesIO(data))
            kept += any(n.endswith(".mp4") for n, _ in written)
    return kept


def _run(jobs: list[tuple[str, str, str, dict[str, Any], float | None]], work: Callable, workers: int,
         progress: Progress | None, step: str) -> list[tuple[str, str, str | None]]:
    """(job id, destination, error) of every job, `workers` at a time; Ctrl-C cancels the rest."""
    results = []
    report(progress, step, 0, len(jobs))
    if not jobs:
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future, str] = {}
        queue = iter(jobs)
        try:
            for job in _take(queue, 2 * workers):
                pending[pool.submit(work, job)] = job[2]
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    ident = pending.pop(future)
                    dst, error = future.result()
                    results.append((ident, dst, error))
                    report(progress, step, len(results), len(jobs))
                for job in _take(queue, len(finished)):
                    pending[pool.submit(work, job)] = job[2]
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


def _take(queue: Iterable, count: int) -> list:
    out = []
    for item in queue:
        out.append(item)
        if len(out) == count:
            break
    return out


def compress_dataset(registry: Registry, name: str, out: Path, params: TranscodeParams, workers: int = 1,
                     new_name: str | None = None, progress: Progress | None = None) -> tuple[CompressResult, Dataset]:
    """Transcode dataset `name` into `out` and register the result (see the module docstring)."""
    from core.data.registration import load_registered

    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if params.short_side is not None and params.short_side < 16:
        raise UserError(f"--short-side must be at least 16 px, got {params.short_side}")
    if params.gop < 1 or (params.fps is not None and params.fps <= 0):
        raise UserError("--gop must be at least 1 and --fps positive")
    dataset = registry.require_dataset(name)
    target = new_name or f"{name}-{params.short_side or 'native'}p"
    existing = registry.get_dataset(target)
    if existing is not None and (existing.meta.get("compressed") or {}).get("from") != name:
        raise UserError(f"a dataset named {target} is registered already: pass --name")
    out = Path(out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    if dataset.kind == SHARD_KIND:
        jobs, kept, work = _shard_jobs(registry, name, out, params)
    else:
        index = load_registered(registry, name)
        jobs, kept, work = _file_jobs(index, out, params)
    results = _run(jobs, work, workers, progress, f"{name}: transcoding to {out}")
    failed = [_failure(ident, line) for ident, _, error in results if error for line in error.splitlines()]
    result = CompressResult(target, out, len(results), kept, failed)
    return result, _register(registry, dataset, target, out, params, failed, progress)


def _failure(ident: str, line: str) -> dict[str, Any]:
    """A problem of the derived dataset: a shard's failures are `shard:key<TAB>why`, a file's `why`."""
    where, _, why = line.partition("\t") if "\t" in line else (ident, "", line)
    return {"problem": "unreadable", "id": where, "path": where, "detail": why, "splits": []}


def _file_jobs(index: DatasetIndex, out: Path, params: TranscodeParams) -> tuple[list, int, Callable]:
    jobs, kept = [], 0
    for ref in distinct_videos(index):
        if ref.found is None:
            continue
        dst = out / compressed_path(ref.found)
        if dst.is_file():
            kept += 1
            continue
        jobs.append((str(index.video_root / ref.found), str(dst), ref.found, params.to_dict(), index.frame_fps))
    return jobs, kept, _transcode_file


def _shard_jobs(registry: Registry, name: str, out: Path, params: TranscodeParams) -> tuple[list, int, Callable]:
    from core.data.shards.registration import load_shards

    shards = load_shards(registry, name)
    jobs, kept = [], 0
    for shard in shards.shards:
        dst = out / shard
        if dst.is_file():
            kept += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(shards.path(shard)), str(dst), shard, params.to_dict(), None))
    return jobs, kept, _transcode_shard


def _register(registry: Registry, source: Dataset, target: str, out: Path, params: TranscodeParams,
              failed: list[dict[str, Any]], progress: Progress | None) -> Dataset:
    from core.data.registration import register_dataset

    record = {"from": source.name, "out": str(out), "params": params.to_dict()}
    protocol = {**source.meta.get("protocol", {}), "transcode": describe(params)}
    meta = {k: v for k, v in source.meta.items() if k in ("synthetic", "size", "seed", "groundtruth")}
    meta.update(compressed=record, protocol=protocol)
    if source.kind != SHARD_KIND and source.meta.get("prepared"):
        meta["prepared"] = source.meta["prepared"]  # the same annotations: the same noun-phrase table
    if source.kind == SHARD_KIND:
        from core.data.shards.registration import register_webdataset

        dataset = register_webdataset(registry, out, name=target, meta=meta, progress=progress)
    else:
        videos = source.meta.get("videos")
        dataset = register_dataset(registry, source.kind, source.root, name=target, meta=meta, progress=progress,
                                   videos=Path(videos) if videos else None, fps=source.meta.get("fps"),
                                   split=source.meta.get("split"))
        if dataset.hashes != source.hashes:
            registry.remove_dataset(target)
            raise UserError(f"the annotations of {source.name} changed since its registration: re-register it first")
    if failed:
        known = {p["id"] for p in dataset.problems}
        dataset.problems = [*dataset.problems, *(p for p in failed if p["id"] not in known)]
        dataset.status = "problems"
        dataset.meta = {**dataset.meta, "problem_count": len(dataset.problems)}
        dataset = registry.save_dataset(dataset)
    return dataset
