"""`generate_suite`: plan every part, render the videos in worker processes, write the files.

Everything is written into a staging folder under `root` and each finished part is then renamed
to `root/<name>/`, so an interrupted generation (Ctrl-C, a full disk) leaves no half-written part.
Annotation files and ground truth depend only on (size, seed): they are planned in this process
from per-video seeded generators; workers only render specs, so the worker count changes
nothing but the wall time.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .ground_truth import GT_DIR, action_flags, save_arrays
from .parts import PARTS
from .plan import PartPlan, PlannedVideo, captions_json, dumps, objects_json, videos_json
from .render import render_video
from .sizes import SUITE_SIZES, suite_size
from .spec import VideoSpec
from .vocabulary import FRAME
from .writers import write_video

GENERATOR_VERSION = "1.0"
MANIFEST = "SYNTH.json"
STAGING = ".synth-staging-"  # + "<pid>-<random>": where a generation writes before renaming parts into place

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthPart:
    name: str  # e.g. "synth-msrvtt": the dataset name to register
    kind: str  # the real format it follows, e.g. "msrvtt"
    root: Path  # root/<name>


def render_to_files(spec: VideoSpec, video: Path, arrays: Path) -> None:
    """Render one video and write it and its ground-truth arrays."""
    frames, labels = render_video(spec)
    write_video(video, frames, spec.fps)
    action = action_flags(spec.n_frames, [(a.start, a.end) for a in spec.actions]) if spec.untrimmed else None
    save_arrays(arrays, labels, spec.cuts(), action)


def _job(job: tuple[str, str, str, VideoSpec]) -> str:
    name, video, arrays, spec = job
    render_to_files(spec, Path(video), Path(arrays))
    return name


def _init_worker() -> None:
    # One thread per worker: the processes already use the cores.
    import cv2

    cv2.setNumThreads(1)


def _context() -> mp.context.BaseContext:
    """Spawned workers (nothing inherited from a caller that may hold threads or locks), except when
    the caller's main script cannot be re-imported (`python - < script`): spawn would then fail in
    every worker, so fork instead."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main is not None and not os.path.isfile(main) and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def default_workers() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # not Linux
        return max(1, min(os.cpu_count() or 1, 8))


def _link(src: Path, dst: Path) -> None:
    """Hard-link (the real MSRVTT-QA reuses MSR-VTT's files); copy where links are impossible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _write_annotations(plan: PartPlan, part_dir: Path, size: str, seed: int) -> None:
    for rel, text in plan.files.items():
        path = part_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    gt = part_dir / GT_DIR
    gt.mkdir(parents=True, exist_ok=True)
    (gt / "objects.json").write_text(objects_json(plan.videos), encoding="utf-8")
    (gt / "videos.json").write_text(videos_json(plan.videos), encoding="utf-8")
    if any(v.captions for v in plan.videos):
        (gt / "captions.json").write_text(captions_json(plan.videos), encoding="utf-8")
    if plan.questions:
        (gt / "qa.json").write_text(dumps(plan.questions), encoding="utf-8")
    for v in plan.videos:
        (part_dir / v.path).parent.mkdir(parents=True, exist_ok=True)
    fps = sorted({v.spec.fps for v in plan.videos})
    manifest = {"generator": "sviml synthetic suite", "version": GENERATOR_VERSION, "name": plan.name,
                "kind": plan.kind, "size": size, "seed": seed, "counts": plan.counts,
                "frame_size": [FRAME, FRAME], "fps": fps[0] if len(fps) == 1 else fps}
    (part_dir / MANIFEST).write_text(dumps(manifest) + "\n", encoding="utf-8")


def part_meta(root: Path) -> dict | None:
    """The registry meta of a generated part (synthetic, size, seed, ground truth) from its
    manifest; None for a folder that is not one. Any `data add KIND --root PART` of a generated part
    then gets the synthetic-only evaluations (grounding, fg/bg) and the report's synthetic marks,
    e.g. a second registration of synth-msrvtt under another split variant."""
    manifest = root / MANIFEST
    if not manifest.is_file():
        return None
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("generator") != "sviml synthetic suite":
        return None
    return {"synthetic": True, "size": info.get("size"), "seed": info.get("seed"),
            "groundtruth": str(root / GT_DIR)}


def generate_suite(root: Path, size: str = "small", seed: int = 0, progress: Progress | None = None,
                   workers: int | None = None, overwrite: bool = False) -> list[SynthPart]:
    """Write the 7 synthetic parts under root/<name>/ and return them in suite order.

    progress(part name, videos done, videos in the part) is called once per part with 0 before
    any work, then after each video (for synth-msrvtt-qa: each linked video). With
    overwrite=False an existing root/<name> is an error; with overwrite=True a previous
    generation (a folder holding SYNTH.json) is replaced, anything else is still refused.
    """
    cfg = suite_size(size)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {seed!r}")
    root = Path(root)
    for name, _, _ in PARTS:
        target = root / name
        if target.exists() and not (overwrite and (target / MANIFEST).is_file()):
            why = "pass overwrite=True to replace it" if overwrite is False else "it is not a generated part"
            raise FileExistsError(f"{target} already exists: {why}")
    root.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda name, done, total: None)
    plans = [planner(cfg, seed) for _, _, planner in PARTS]
    for plan in plans:
        report(plan.name, 0, len(plan.videos))

    _remove_stale_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=root))
    try:
        for plan in plans:
            _write_annotations(plan, staging / plan.name, size, seed)
        _render_all(plans, staging, report, workers or default_workers())
        for plan in plans:
            _link_all(plan, staging, report)
        for plan in plans:
            target = root / plan.name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging / plan.name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [SynthPart(p.name, p.kind, root / p.name) for p in plans]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove_stale_staging(root: Path) -> None:
    """Delete staging folders left by a generation that was killed (SIGKILL/SIGTERM skip cleanup)."""
    for folder in root.glob(f"{STAGING}*"):
        pid = folder.name[len(STAGING):].split("-")[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _render_all(plans: list[PartPlan], staging: Path, report: Progress, workers: int) -> None:
    jobs: list[tuple[str, str, str, VideoSpec]] = []
    totals: dict[str, int] = {}
    for plan in plans:
        todo: list[PlannedVideo] = [v for v in plan.videos if v.link_from is None]
        totals[plan.name] = len(todo)
        part_dir = staging / plan.name
        jobs += [(plan.name, str(part_dir / v.path), str(part_dir / GT_DIR / f"{v.stem}.npz"), v.spec) for v in todo]
    # Longest videos first: the pool then ends on short clips instead of one long straggler.
    jobs.sort(key=lambda j: -j[3].n_frames)
    done = dict.fromkeys(totals, 0)

    def tick(name: str) -> None:
        done[name] += 1
        report(name, done[name], totals[name])

    if workers <= 1 or len(jobs) < 8:
        for job in jobs:
            tick(_job(job))
        return
    with _context().Pool(workers, initializer=_init_worker) as pool:
        for name in pool.imap_unordered(_job, jobs, chunksize=4):
            tick(name)


def _link_all(plan: PartPlan, staging: Path, report: Progress) -> None:
    linked = [v for v in plan.videos if v.link_from is not None]
    for k, v in enumerate(linked, 1):
        src_part, _, src_path = v.link_from.partition("/")
        _link(staging / src_part / src_path, staging / plan.name / v.path)
        src_stem = Path(src_path).stem
        _link(staging / src_part / GT_DIR / f"{src_stem}.npz", staging / plan.name / GT_DIR / f"{v.stem}.npz")
        report(plan.name, k, len(linked))


__all__ = ["GENERATOR_VERSION", "MANIFEST", "SUITE_SIZES", "SynthPart", "default_workers", "generate_suite"]
