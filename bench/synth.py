"""Generation time of the synthetic suite, per size.

Run: `.venv/bin/python bench/synth.py [--sizes tiny,small,medium] [--workers N] [--seed S]`
(from the repository root). Each size is generated into a fresh temporary folder by
`generate_suite` (planning, rendering in worker processes, writing), timed wall-clock, measured
on disk, and deleted. Prints a Markdown table (size, videos, seconds, MB, machine, command,
date) for BENCHMARKS.md. Targets on a 2-core machine: tiny < 20 s, small < 3 min, medium < 20 min.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.synth import generate_suite  # noqa: E402
from core.data.synth.suite import default_workers  # noqa: E402

TARGETS = {"tiny": 20, "small": 180, "medium": 1200}
VIDEO_SUFFIXES = {".mp4", ".avi"}


def disk_usage(root: Path) -> tuple[int, int, int]:
    """(bytes, rendered videos, video files) under root; hard-linked files count once (as `du` does)."""
    seen: set[tuple[int, int]] = set()
    total = rendered = files = 0
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        files += p.suffix in VIDEO_SUFFIXES
        st = p.stat()
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        total += st.st_size
        rendered += p.suffix in VIDEO_SUFFIXES
    return total, rendered, files


def bench(size: str, seed: int, workers: int) -> tuple[int, int, float, float]:
    """-> (rendered videos, video files, seconds, MB on disk) for one size."""
    tmp = Path(tempfile.mkdtemp(prefix=f"sviml-synth-{size}-"))
    try:
        t0 = time.perf_counter()
        generate_suite(tmp / "suite", size, seed=seed, workers=workers)
        seconds = time.perf_counter() - t0
        nbytes, rendered, files = disk_usage(tmp)
        return rendered, files, seconds, nbytes / 1e6
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="tiny,small", help="comma-separated sizes (medium takes minutes)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the usable cores)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in TARGETS]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}: choose from {', '.join(TARGETS)}")
    workers = args.workers or default_workers()
    machine = (f"{platform.machine()}, {os.cpu_count()} cores ({workers} workers), "
               f"Python {platform.python_version()}")
    command = "`.venv/bin/python bench/synth.py " + " ".join(sys.argv[1:]) + "`"
    print("| size | videos rendered (files, with MSRVTT-QA's links) | seconds | MB on disk | target "
          "| machine | command | date |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        rendered, files, seconds, mb = bench(size, args.seed, workers)
        print(f"| {size} | {rendered:,} ({files:,}) | {seconds:.1f} | {mb:.0f} | < {TARGETS[size]} s | {machine} "
              f"| {command} | {datetime.date.today()} |", flush=True)


if __name__ == "__main__":
    main()
