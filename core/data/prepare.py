"""`sviml data prepare NAME`: the noun phrases of every caption, computed once, in parallel.

Pre-training needs spaCy's noun chunks of every caption (the grounding loss's prompts). Parsing
a web-scale caption set takes hours on one core, and must not happen on every rank at start-up:
`prepare_dataset` parses them once with spaCy's `nlp.pipe(..., n_process=N)` and stores the
table under `$SVIML_HOME/prepared/`; the dataset's registry row records it (`meta["prepared"]`:
where, how many captions, the spaCy model, the annotations or shards it was computed from).
Pre-training refuses a dataset that is not prepared (or prepared from other annotations), so no
rank ever runs spaCy (`recipes.pretrain` reads the tables with `extract=False`).

- Datasets of files: `prepared/nouns/<annotation key>.json`, caption -> phrases (the format of
  `core.data.noun_phrases`; the key is the annotations' hash, so an edited file needs preparing).
- Shards: `prepared/shards/<name>-<digest>/<shard>.json` per shard (every sample's key, video
  member offset and size, captions and window, and the phrases of its captions: all training
  reads besides the video bytes) and `manifest.json` (samples per shard, problems found). A
  shard whose table exists (for the same shard size) is skipped: a killed run continues.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.index import annotation_key
from core.data.noun_phrases import MODEL, extract_noun_phrases, load_noun_phrases, write_json
from core.data.progress import Progress, report
from core.data.registration import SHARD_KIND, load_registered
from core.errors import UserError

if TYPE_CHECKING:
    from core.data.shards.registration import ShardSet
    from core.registry import Dataset, Registry
    from core.settings import Settings

CHUNK_CAPTIONS = 20_000  # captions parsed per spaCy call on shards (worker start-up amortised)


@dataclass
class PrepareResult:
    name: str
    captions: int  # distinct captions with phrases
    extracted: int  # of which parsed by this call (the rest were prepared before)
    seconds: float
    path: str


def prepared_root(settings: Settings) -> Path:
    return Path(settings.home) / "prepared"


def noun_tables(settings: Settings) -> Path:
    """The folder of the prepared noun tables of file datasets (what training reads)."""
    return prepared_root(settings) / "nouns"


def prepare_dataset(registry: Registry, settings: Settings, name: str, processes: int = 1,
                    progress: Progress | None = None) -> PrepareResult:
    """Prepare registered dataset `name` and record it in its registry row."""
    if processes < 1:
        raise UserError(f"--processes must be at least 1, got {processes}")
    dataset = registry.require_dataset(name)
    started = time.perf_counter()
    if dataset.kind == SHARD_KIND:
        result, record = _prepare_shards(registry, settings, dataset, processes, progress)
    else:
        result, record = _prepare_files(registry, settings, dataset, processes, progress)
    result.seconds = time.perf_counter() - started
    record.update(model=MODEL, processes=processes, seconds=round(result.seconds, 2))
    dataset = registry.require_dataset(name)  # re-read: registration may have run meanwhile
    dataset.meta = {**dataset.meta, "prepared": record}
    registry.save_dataset(dataset)
    return result


def _prepare_files(registry: Registry, settings: Settings, dataset: Dataset, processes: int,
                   progress: Progress | None) -> tuple[PrepareResult, dict[str, Any]]:
    index = load_registered(registry, dataset.name)
    captions = list(dict.fromkeys(c for samples in index.splits.values() for s in samples for c in s.captions))
    if not captions:
        raise UserError(f"{dataset.name} ({dataset.kind}) has no captions: nothing to prepare")
    key = index.annotation_key()
    folder = noun_tables(settings)
    path = folder / f"{key}.json"
    before = _prepared_count(path)
    load_noun_phrases(captions, key, folder, progress, processes=processes)
    result = PrepareResult(dataset.name, len(captions), max(0, len(captions) - before), 0.0, str(path))
    return result, {"path": str(path), "key": key, "captions": len(captions)}


def _prepared_count(path: Path) -> int:
    try:
        return len(json.loads(path.read_text(encoding="utf-8")).get("phrases", {}))
    except (OSError, ValueError, AttributeError):
        return 0


def shard_tables(settings: Settings, shards: ShardSet) -> Path:
    return prepared_root(settings) / "shards" / f"{shards.name}-{shards.digest[:16]}"


def shard_table_path(folder: Path, shard: str) -> Path:
    return folder / f"{shard.replace('/', '__')}.json"


def _chunks(shards: ShardSet, folder: Path) -> Iterator[list[str]]:
    """Shards still to prepare, in groups of about CHUNK_CAPTIONS samples (by registered counts)."""
    group: list[str] = []
    size = 0
    for shard in shards.shards:
        if _table_is_current(shard_table_path(folder, shard), shards.path(shard)):
            continue
        group.append(shard)
        size += max(1, shards.counts.get(shard, 1))
        if size >= CHUNK_CAPTIONS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _table_is_current(table: Path, shard: Path) -> bool:
    try:
        return json.loads(table.read_text(encoding="utf-8")).get("bytes") == shard.stat().st_size
    except (OSError, ValueError, AttributeError):
        return False


def _prepare_shards(registry: Registry, settings: Settings, dataset: Dataset, processes: int,
                    progress: Progress | None) -> tuple[PrepareResult, dict[str, Any]]:
    from core.data.shards.layout import scan_shard
    from core.data.shards.registration import load_shards

    shards = load_shards(registry, dataset.name)
    folder = shard_tables(settings, shards)
    folder.mkdir(parents=True, exist_ok=True)
    step = f"{dataset.name}: scanning and parsing captions"
    total = len(shards)
    done = sum(shards.counts.get(s, 0) for s in shards.shards if _table_is_current(shard_table_path(folder, s),
                                                                                   shards.path(s)))
    report(progress, step, done, total)
    extracted = 0
    for group in _chunks(shards, folder):
        scans = {shard: scan_shard(shards.path(shard)) for shard in group}
        captions = list(dict.fromkeys(c for scan in scans.values() for s in scan.samples for c in s.captions))
        base = done

        def tick(parsed: int, base: int = base, count: int = len(captions)) -> None:
            report(progress, step, base + min(parsed, count), total)

        phrases = dict(zip(captions, extract_noun_phrases(captions, progress=tick, processes=processes), strict=True))
        extracted += len(captions)
        for shard, scan in scans.items():
            table = {"bytes": shards.path(shard).stat().st_size, "samples": [s.to_row() for s in scan.samples],
                     "phrases": {c: phrases[c] for s in scan.samples for c in s.captions},
                     "problems": [list(p) for p in scan.problems]}
            write_json(shard_table_path(folder, shard), table)
            done += len(scan.samples)
        report(progress, step, done, total)
    counts, captions_total, problems = {}, 0, 0
    for shard in shards.shards:
        table = json.loads(shard_table_path(folder, shard).read_text(encoding="utf-8"))
        counts[shard] = len(table["samples"])
        captions_total += len(table["phrases"])
        problems += len(table["problems"])
    write_json(folder / "manifest.json", {"digest": shards.digest, "counts": counts})
    samples = sum(counts.values())
    result = PrepareResult(dataset.name, captions_total, extracted, 0.0, str(folder))
    return result, {"path": str(folder), "digest": shards.digest, "samples": samples, "captions": captions_total,
                    "problems": problems}


def prepared_record(dataset: Dataset) -> dict[str, Any]:
    """The dataset's prepared record, checked against its registered annotations (or shards):
    UserError naming the command when it is missing or stale."""
    record = dataset.meta.get("prepared")
    command = f"`sviml data prepare {dataset.name}`"
    if not isinstance(record, dict):
        raise UserError(f"the noun phrases of {dataset.name} are not prepared: run {command} (once; pre-training "
                        "never parses captions on its ranks)")
    current = dataset.hashes.get("shards") if dataset.kind == SHARD_KIND else annotation_key(dataset.kind,
                                                                                              dataset.hashes)
    prepared = record.get("digest") if dataset.kind == SHARD_KIND else record.get("key")
    if prepared != current or not Path(record.get("path", "")).exists():
        raise UserError(f"the noun phrases of {dataset.name} were prepared for other annotations or shards (or "
                        f"their files are gone): run {command} again")
    return record
