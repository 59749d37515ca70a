"""GPU decoding (NVDEC through PyNvVideoCodec) against decord on the CPU, on real footage.

Run on a CUDA machine through `bench/decode_gpu.sh run` (it installs the carried wheels);
`--cpu-only` runs the CPU half anywhere (how the script is checked without a GPU).

Input: `--clips DIR` with real clips (`bench/decode_gpu.sh prepare` makes the 14 clips of
`tests/fixtures/real_footage.BENCH_CLIPS` and their `sviml data compress`-style copies in
DIR/compressed: H.264, short side 256, a keyframe every 8 frames). Per clip, 16 frames at the
centres of 16 equal segments (the loader's sampling), a centred 224 px crop:

- CPU: decord, one thread, open + get_batch at the native size (clips/s on one core; decoding only,
  as `bench/data.py` measures it);
- GPU: `core.data.gpu_decode.NvdecClips.decode` (SimpleDecoder + DLPack + the device transform),
  one process, sequential, synchronised per clip (clips/s), and with 4 threads;
- difference: the same plan through `transform_on_device` from decord's frames and from NVDEC's
  frames: the mean absolute difference per pixel (levels of 255; tolerance 4), i.e. NVDEC's
  decoding and colour conversion against FFmpeg's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.data.clip_plan import ClipPlan  # noqa: E402
from core.data.gpu_decode import NvdecClips, transform_on_device  # noqa: E402

FRAMES, SIZE = 16, 224
TOLERANCE = 4.0


def decord_reader(path: Path):  # -> decord.VideoReader
    import decord

    decord.logging.set_level(decord.logging.QUIET)
    return decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)


def plan_for(path: Path) -> ClipPlan:
    """16 centred frames, a centred square crop of the short side, no flip, at the native size."""
    reader = decord_reader(path)
    count = len(reader)
    height, width = reader[0].shape[:2]
    indices = np.minimum(((np.arange(FRAMES) + 0.5) * count / FRAMES).astype(np.int64), count - 1)
    side = min(height, width)
    box = ((height - side) // 2, (width - side) // 2, side, side)
    return ClipPlan(str(path), path.name, indices, height, width, None, box=box, flip=False)


def cpu_frames(plan: ClipPlan) -> np.ndarray:
    """uint8 [T, H, W, 3]: decord's decode of the plan's frames (what the CPU rate measures)."""
    return decord_reader(Path(plan.path)).get_batch(plan.indices.tolist()).asnumpy()


def cpu_clip(plan: ClipPlan) -> torch.Tensor:
    return transform_on_device(torch.from_numpy(cpu_frames(plan)), plan, SIZE)  # [T, 3, S, S]


def rate(work, plans: list[ClipPlan], repeat: int = 2) -> float:
    """Best clips/s of `repeat` passes over the plans."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for plan in plans:
            work(plan)
        best = max(best, len(plans) / (time.perf_counter() - start))
    return best


def measure(folder: Path, cpu_only: bool) -> dict:
    plans = [plan_for(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in (".mp4", ".avi", ".webm", ".mkv")]
    row: dict = {"clips": len(plans), "cpu_clips_per_s": rate(cpu_frames, plans)}
    if cpu_only:
        return row
    device = torch.device("cuda", 0)
    nvdec = NvdecClips(device, SIZE)

    def gpu_clip(plan: ClipPlan) -> torch.Tensor:
        clip = nvdec.decode(plan)
        torch.cuda.synchronize(device)
        return clip

    gpu_clip(plans[0])  # CUDA context and decoder warm-up
    row["gpu_clips_per_s"] = rate(gpu_clip, plans)
    with ThreadPoolExecutor(4) as pool:
        start = time.perf_counter()
        list(pool.map(gpu_clip, plans * 2))
        row["gpu_clips_per_s_4_threads"] = 2 * len(plans) / (time.perf_counter() - start)
    diffs = {}
    for plan in plans:
        cpu = cpu_clip(plan).int()
        gpu = gpu_clip(plan).cpu().int()
        diffs[plan.name] = float((gpu - cpu).abs().float().mean())
    row["mean_abs_diff"] = diffs
    row["max_mean_abs_diff"] = max(diffs.values())
    row["within_tolerance"] = row["max_mean_abs_diff"] < TOLERANCE
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("decode-gpu.json"))
    parser.add_argument("--cpu-only", action="store_true")
    args = parser.parse_args()
    result = {"machine": f"{os.cpu_count()} cores, torch {torch.__version__}",
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    if not args.cpu_only:
        import PyNvVideoCodec

        result["pynvvideocodec"] = PyNvVideoCodec.__version__
    for name, folder in (("as downloaded", args.clips), ("compressed (256 px, gop 8)", args.clips / "compressed")):
        if folder.is_dir():
            result[name] = measure(folder, args.cpu_only)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items()}, indent=1))
    print("\n| clips | CPU decord clips/s (1 core) | NVDEC clips/s | NVDEC, 4 threads | max mean abs diff |")
    print("|---|---|---|---|---|")
    for name in ("as downloaded", "compressed (256 px, gop 8)"):
        if name in result:
            r = result[name]
            print(f"| {name} ({r['clips']}) | {r['cpu_clips_per_s']:.1f} | {r.get('gpu_clips_per_s', float('nan')):.1f} "
                  f"| {r.get('gpu_clips_per_s_4_threads', float('nan')):.1f} | {r.get('max_mean_abs_diff', float('nan')):.2f} |")


if __name__ == "__main__":
    main()
