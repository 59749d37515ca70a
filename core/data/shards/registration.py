"""`sviml data add webdataset` and `sviml data verify` for shard datasets.

Registration resolves the shard list (a folder or a brace pattern), counts the samples of every
shard (from video2dataset's `<shard>_stats.json` when present, else once by scanning the tar's
headers), hashes the list (names and sizes), decodes a few members and saves one registry row:

    kind "webdataset", root = the shards' folder, counts {"train": samples},
    hashes {"shards": <digest of the list>},
    meta {"source": the folder or pattern given, "shards": [[name, samples, bytes], ...],
          "count_source": "stats" | "scan" | "stats+scan", coverage, ...}

Problems name a sample as `shard:key` (e.g. `00003.tar:000030017`): `missing` (a shard a pattern
names but that is absent), `no caption`, `no video`, `truncated`, `unreadable` (does not decode).
A file that is not a tar, or a pattern matching nothing, is a UserError: nothing is registered.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.progress import Progress, report
from core.data.shards.layout import (
    ShardList,
    ShardSample,
    ShardScan,
    read_member,
    resolve_shards,
    scan_shard,
    stats_count,
)
from core.data.video import check_video
from core.errors import UserError
from core.registry.tables import Dataset, utcnow

if TYPE_CHECKING:
    from core.data.registration import VerifyReport
    from core.registry import Registry

KIND = "webdataset"
DECODE_CHECKS = 4


def problem(kind: str, shard: str, key: str, detail: str = "") -> dict[str, Any]:
    ident = f"{shard}:{key}" if key else shard
    return {"problem": kind, "id": ident, "path": ident, "detail": detail, "splits": ["train"]}


def _scan_problem(shard: str, key: str, what: str) -> dict[str, Any]:
    kind = "no caption" if "no caption" in what else "no video" if "no video" in what else \
        "truncated" if "truncated" in what else "unreadable"
    return problem(kind, shard, key, what)


def _decode_problems(shards: ShardList, picks: list[tuple[str, ShardSample]], full: bool,
                     progress: Progress | None, step: str) -> list[dict[str, Any]]:
    """Problems of the members in `picks` that do not decode (threads: decoding releases the GIL)."""

    def check(pick: tuple[str, ShardSample]) -> str | None:
        name, sample = pick
        try:
            data = read_member(shards.path(name), sample.offset, sample.size)
        except OSError as err:
            return str(err)
        return check_video(data, full=full, name=f"{name}:{sample.key}")

    problems = []
    workers = max(1, min(8, os.cpu_count() or 1)) if full else 1
    report(progress, step, 0, len(picks))
    with ThreadPoolExecutor(workers) as pool:
        for done, (pick, error) in enumerate(zip(picks, pool.map(check, picks), strict=True), start=1):
            if error is not None:
                problems.append(problem("unreadable", pick[0], pick[1].key, error))
            report(progress, step, done, len(picks))
    return problems


def _spread_picks(scans: dict[str, ShardScan], count: int) -> list[tuple[str, ShardSample]]:
    """Up to `count` samples: the middle one of shards spread over the list."""
    names = [n for n, s in scans.items() if s.samples]
    if len(names) > count:
        names = [names[(i * len(names)) // count] for i in range(count)]
    return [(n, scans[n].samples[len(scans[n].samples) // 2]) for n in names]


def register_webdataset(registry: Registry, spec: str | Path, name: str | None = None,
                        meta: dict[str, Any] | None = None, progress: Progress | None = None) -> Dataset:
    """Register the shards `spec` names (a folder or a brace pattern) as `name` (default: webdataset)."""
    shards = resolve_shards(spec)
    step = f"{KIND}: counting samples"
    report(progress, step, 0, len(shards.names))
    counted: list[list[Any]] = []
    scans: dict[str, ShardScan] = {}
    sources = set()
    problems = [problem("missing", n, "", "named by the pattern, not found") for n in shards.missing]
    for done, shard in enumerate(shards.names, start=1):
        count = stats_count(shards.path(shard))
        if count is None:
            scans[shard] = scan_shard(shards.path(shard))
            count = len(scans[shard].samples)
            problems += [_scan_problem(shard, key, what) for key, what in scans[shard].problems]
            sources.add("scan")
        else:
            sources.add("stats")
        counted.append([shard, count, os.path.getsize(shards.path(shard))])
        report(progress, step, done, len(shards.names))
    total = sum(c for _, c, _ in counted)
    if total == 0:
        raise UserError(f"{KIND}: the shards under {shards.root} hold no sample with a video and a caption")
    # A sample to decode: scan a few shards spread over the list (those counted from stats too).
    for shard in _spread_names(shards.names, DECODE_CHECKS):
        if shard not in scans:
            scans[shard] = scan_shard(shards.path(shard))
    sample_scans = {n: scans[n] for n in _spread_names(shards.names, DECODE_CHECKS)}
    problems += _decode_problems(shards, _spread_picks(sample_scans, DECODE_CHECKS), False, progress,
                                 f"{KIND}: decoding a sample")
    record = dict(meta or {})
    record.update({
        "source": shards.pattern or str(shards.root),
        "shards": counted,
        "count_source": "+".join(sorted(sources)),
        "coverage": {"train": {"samples": total, "videos": total, "found": total}},
        "videos_total": total,
        "videos_found": total,
        "problem_count": len(problems),
        "classes": 0,
        "notes": [f"{len(counted)} shards; counts from {'+'.join(sorted(sources))}"],
    })
    from core.data.registration import stored_problems

    dataset = Dataset(
        name=name or KIND, kind=KIND, root=str(shards.root), counts={"train": total},
        hashes={"shards": shards.digest()}, status="problems" if problems else "ok",
        problems=stored_problems(problems), meta=record, verified_at=utcnow(),
    )
    return registry.save_dataset(dataset)


def _spread_names(names: list[str], count: int) -> list[str]:
    if len(names) <= count:
        return list(names)
    return [names[(i * len(names)) // count] for i in range(count)]


@dataclass
class ShardSet:
    """A registered shard dataset, re-resolved: what streaming and preparing read."""

    name: str
    root: Path
    shards: list[str]
    counts: dict[str, int]  # as registered (stats or scan)
    digest: str
    meta: dict[str, Any]

    def path(self, shard: str) -> Path:
        return self.root / shard

    def __len__(self) -> int:
        return sum(self.counts.values())


def current_shards(dataset: Dataset) -> ShardList:
    return resolve_shards(dataset.meta.get("source") or dataset.root)


def load_shards(registry: Registry, name: str, check_hashes: bool = True) -> ShardSet:
    """A registered shard dataset; UserError when its shard list changed since registration."""
    dataset = registry.require_dataset(name)
    if dataset.kind != KIND:
        raise UserError(f"{name} is a {dataset.kind} dataset, not shards")
    shards = current_shards(dataset)
    digest = shards.digest()
    if check_hashes and digest != dataset.hashes.get("shards"):
        raise UserError(f"the shards of {name} changed since registration (names or sizes): check with "
                        f"`sviml data verify {name}`, re-register with `sviml data add webdataset --root "
                        f"{dataset.meta.get('source') or dataset.root} --name {name}`")
    counts = {shard: count for shard, count, _ in dataset.meta.get("shards", [])}
    return ShardSet(name, shards.root, [s for s in shards.names if s in counts], counts, digest, dataset.meta)


def verify_webdataset(registry: Registry, dataset: Dataset, full: bool, progress: Progress | None,
                      result: VerifyReport) -> None:
    """Fill `result` for a shard dataset: a changed shard list, missing shards, and with `full` every
    member scanned and decoded (caption-less and corrupt members listed as shard:key)."""
    try:
        shards = current_shards(dataset)
    except UserError as err:
        result.problems.append(problem("missing", dataset.meta.get("source") or dataset.root, "", str(err)))
        return
    registered = {shard: count for shard, count, _ in dataset.meta.get("shards", [])}
    if shards.digest() != dataset.hashes.get("shards"):
        result.problems.append({"problem": "annotation changed", "id": "shard list", "path": str(shards.root),
                                "detail": "shard names or sizes differ from registration", "splits": []})
    result.problems += [problem("missing", n, "", "registered, not found") for n in registered
                        if n not in set(shards.names)]
    present = [n for n in shards.names if n in registered]
    result.videos = sum(registered.values())
    names = present if full else _spread_names(present, DECODE_CHECKS)
    scans: dict[str, ShardScan] = {}
    step = f"{dataset.name}: scanning shards"
    report(progress, step, 0, len(names))
    for done, shard in enumerate(names, start=1):
        try:
            scans[shard] = scan_shard(shards.path(shard))
        except UserError as err:
            result.problems.append(problem("unreadable", shard, "", str(err)))
            continue
        result.problems += [_scan_problem(shard, key, what) for key, what in scans[shard].problems]
        report(progress, step, done, len(names))
    result.found = sum(len(s.samples) for s in scans.values()) if full else result.videos
    if full:
        picks = [(n, sample) for n, scan in scans.items() for sample in scan.samples]
        step = f"{dataset.name}: decoding every member"
    else:
        picks, step = _spread_picks(scans, DECODE_CHECKS), f"{dataset.name}: decoding a sample"
    result.problems += _decode_problems(shards, picks, full, progress, step)
    result.decoded = len(picks)
