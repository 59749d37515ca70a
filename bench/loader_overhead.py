"""What the pre-training loader adds to decoding, per clip, on real compressed footage.

Run: `.venv/bin/python bench/loader_overhead.py [--sets compressed compressed-8fps] [--rounds 10]`.

`bench/data.py` measures the loaders end to end (DataLoader, workers, shards), but on a shared
2-core machine its separate decode and loader phases see different loads, and the ratio of the two
moved by +-20% between runs. This script isolates the part the loader adds and measures it
*interleaved*, in one process, so that every variant sees the same load:

- decode: open + 16 frames at the loader's positions (decord, one thread), the 14 clips;
- loader: the same decode, then what a loader worker does to each clip before the batch leaves
  the worker: `TrainTransform` (224 px random resized crop + flip, one draw per clip) and the
  collation's `stack_frames` into batches of 8;
- before: the same with the clip layout of the code before 2026-11-30 (frames resized into a list
  and stacked, mirrored as a view, copied to channels-first, then stacked again into the batch),
  kept here as the reference the change is measured against.

Each round decodes the clips, then runs both variants' work on the decoded frames (the same crops
and flips); the figures are medians over rounds of CPU ms per clip of this process
(`time.process_time`), the work timed on its own so that decoding's noise does not enter it.
"decode share" is decode / (decode + work): the target of issue 18 is 90%. Not in these figures:
the transfer of a batch from a worker (a handle to shared memory since `stack_frames`) and the
tokens, which `bench/data.py`'s end-to-end rows include.
Clips: `bench/data.py`'s clip sets (the 14 real clips of `tests/fixtures/real_footage`,
transcoded by `sviml data compress` with its defaults, and with `--fps 8`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import machine_line, print_table  # noqa: E402
from bench.data import BATCH, FRAMES, SIZE, make_sets  # noqa: E402


def decode(paths: list[Path]) -> list[np.ndarray]:
    """uint8 [T, H, W, 3] per clip, as the loader decodes them (16 frames at segment centres)."""
    from core.data.video import Video, frame_range, uniform_indices

    clips = []
    for path in paths:
        video = Video(path)
        first, stop = frame_range(video.info, None, None)
        clips.append(video.frames(uniform_indices(first, stop, FRAMES)))
    return clips


def loader_work(clips: list[np.ndarray], rng: np.random.Generator) -> None:
    from core.data.transforms import TrainTransform, stack_frames

    transform = TrainTransform(SIZE)
    for start in range(0, len(clips), BATCH):
        stack_frames([transform(clip, rng) for clip in clips[start : start + BATCH]])  # [B, T, 3, S, S]


def before_work(clips: list[np.ndarray], rng: np.random.Generator) -> None:
    """The per-clip work as it was: per-frame arrays stacked, a mirrored view, a channels-first copy,
    and the batch stacked from those."""
    from core.data.transforms import TrainTransform

    transform = TrainTransform(SIZE)
    for start in range(0, len(clips), BATCH):
        items = []
        for clip in clips[start : start + BATCH]:
            (top, left, h, w), flip = transform.draw(clip.shape[1], clip.shape[2], rng)
            interpolation = cv2.INTER_AREA if h >= 2 * SIZE and w >= 2 * SIZE else cv2.INTER_LINEAR
            crop = clip[:, top : top + h, left : left + w]
            resized = np.stack([cv2.resize(f, (SIZE, SIZE), interpolation=interpolation) for f in crop])
            resized = resized[:, :, ::-1] if flip else resized
            items.append(torch.from_numpy(np.ascontiguousarray(resized.transpose(0, 3, 1, 2))))
        torch.from_numpy(np.stack([it.numpy() for it in items]))  # [B, T, 3, S, S]


def measure(paths: list[Path], rounds: int) -> dict[str, float]:
    """Median CPU ms per clip of decoding, and of each variant's work on the decoded clips."""
    decode(paths[:3])  # warm the page cache and the libraries
    times: dict[str, list[float]] = {"decode": [], "loader": [], "before": []}
    for round_number in range(rounds):
        start = time.process_time()
        clips = decode(paths)
        times["decode"].append(1e3 * (time.process_time() - start) / len(paths))
        for name, work in (("loader", loader_work), ("before", before_work)):
            rng = np.random.default_rng(round_number)  # the same crops and flips for both
            start = time.process_time()
            work(clips, rng)
            times[name].append(1e3 * (time.process_time() - start) / len(paths))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["compressed", "compressed-8fps"],
                        choices=["downloaded", "compressed", "compressed-8fps"])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    print(machine_line("bench/loader_overhead.py " + " ".join(sys.argv[1:])))
    with tempfile.TemporaryDirectory() as tmp:
        sets = make_sets(Path(tmp), args.sets)
        rows = []
        for name, paths in sets.items():
            ms = measure(paths, args.rounds)
            for variant in ("loader", "before"):
                rows.append((f"{name}: {variant}", f"{ms['decode']:.1f}", f"{ms[variant]:.2f}",
                             f"{100 * ms['decode'] / (ms['decode'] + ms[variant]):.0f}%"))
    print_table(["clips: per-clip work", "decode CPU ms", "work CPU ms", "decode share"], rows)


if __name__ == "__main__":
    main()
