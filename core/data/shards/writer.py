"""`sviml data shard NAME --out DIR`: a registered caption dataset written as WebDataset shards.

video2dataset's layout, so the result streams like any downloaded corpus: `00000.tar` with
`KEY.mp4` (the video file's bytes as they are, any container; a frame folder is encoded to H.264
first), `KEY.txt` (the first caption) and `KEY.json` (`{"caption", "captions": every caption of
the clip, "start"/"end": its window in seconds when it has one, "source": the video's path}`),
plus `00000_stats.json` (`{"successes": N, ...}`). Keys are the shard number and the position in
it (`000030017`: shard 3, sample 17). Each shard is written to a temporary name and renamed once
complete, so a killed run leaves only whole shards; the output folder must hold no shard yet.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.data.frame_folder import is_frame_folder
from core.data.index import DatasetIndex, Sample
from core.data.progress import Progress, report
from core.data.transcode import TranscodeError, TranscodeParams, transcode
from core.errors import UserError

if TYPE_CHECKING:
    from core.registry import Registry


@dataclass
class ShardingResult:
    out: Path
    shards: list[str]
    samples: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sample id, why)


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0  # mtime 0: the same input gives the same bytes
    archive.addfile(info, io.BytesIO(data))


def _video_bytes(index: DatasetIndex, sample: Sample, work: Path) -> tuple[bytes, str]:
    """(bytes, extension) of the sample's video; a frame folder is encoded to H.264 first."""
    path = index.video_root / sample.video
    if is_frame_folder(path):
        target = work / "frames.mp4"
        transcode(path, target, TranscodeParams(short_side=None, crf=18), source_fps=index.frame_fps)
        return target.read_bytes(), "mp4"
    return path.read_bytes(), path.suffix.lstrip(".").lower() or "mp4"


def _samples(index: DatasetIndex, split: str) -> Iterator[Sample]:
    for sample in index.split(split):
        if sample.captions:
            yield sample


def write_shards(index: DatasetIndex, out: Path, shard_size: int = 1000, split: str = "train",
                 progress: Progress | None = None) -> ShardingResult:
    """Write the captioned samples of `split` with a video into shards of `shard_size` under `out`."""
    if shard_size < 1:
        raise UserError(f"--shard-size must be at least 1, got {shard_size}")
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.glob("*.tar")):
        raise UserError(f"{out} already holds shards: choose an empty folder")
    samples = list(_samples(index, split))
    if not samples:
        raise UserError(f"{index.kind} at {index.root}: no captioned sample in split {split!r}")
    out.mkdir(parents=True, exist_ok=True)
    result = ShardingResult(out, [], 0)
    step = f"writing shards to {out}"
    report(progress, step, 0, len(samples))
    position = 0
    shard_no = 0
    with tempfile.TemporaryDirectory(dir=out, prefix=".work-") as work:
        while position < len(samples):
            written, position = _write_one(index, samples, position, shard_size, shard_no, out, Path(work), result)
            if written:
                result.shards.append(f"{shard_no:05d}.tar")
                shard_no += 1
            report(progress, step, position, len(samples))
    if not result.shards:
        raise UserError(f"{index.kind} at {index.root}: no sample of split {split!r} has a readable video")
    return result


def _write_one(index: DatasetIndex, samples: list[Sample], position: int, shard_size: int, shard_no: int,
               out: Path, work: Path, result: ShardingResult) -> tuple[int, int]:
    """One shard from `samples[position:]`: (samples written, the next position)."""
    name = f"{shard_no:05d}.tar"
    handle, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".part")
    os.close(handle)
    written = 0
    try:
        with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as archive:
            while position < len(samples) and written < shard_size:
                sample = samples[position]
                position += 1
                if sample.video is None:
                    result.skipped.append((sample.id, "video missing"))
                    continue
                try:
                    data, ext = _video_bytes(index, sample, work)
                except (OSError, TranscodeError) as err:
                    result.skipped.append((sample.id, str(err)))
                    continue
                key = f"{shard_no:05d}{written:04d}"
                meta = {"caption": sample.captions[0], "captions": list(sample.captions), "source": sample.video}
                if sample.start is not None or sample.end is not None:
                    meta.update(start=sample.start, end=sample.end)
                _add(archive, f"{key}.{ext}", data)
                _add(archive, f"{key}.txt", sample.captions[0].encode())
                _add(archive, f"{key}.json", json.dumps(meta).encode())
                written += 1
        if written:
            stats = {"count": written, "successes": written, "failed_to_download": 0, "failed_to_subsample": 0}
            (out / f"{shard_no:05d}_stats.json").write_text(json.dumps(stats))
            os.replace(tmp, out / name)
            result.samples += written
    finally:
        Path(tmp).unlink(missing_ok=True)
    return written, position


def shard_dataset(registry: Registry, name: str, out: Path, shard_size: int = 1000, split: str = "train",
                  new_name: str | None = None, progress: Progress | None = None) -> tuple[ShardingResult, object]:
    """`sviml data shard`: write registered dataset `name` as shards and register them (default
    name `<name>-shards`). Returns the writing result and the registered Dataset."""
    from core.data.registration import load_registered
    from core.data.shards.registration import register_webdataset

    index = load_registered(registry, name)
    target = new_name or f"{name}-shards"
    if registry.get_dataset(target) is not None:
        raise UserError(f"a dataset named {target} is registered already: pass --name")
    result = write_shards(index, out, shard_size, split, progress)
    dataset = register_webdataset(registry, result.out, name=target, progress=progress,
                                  meta={"derived_from": name, "split": split})
    return result, dataset
