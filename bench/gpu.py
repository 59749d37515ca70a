"""GPU benchmark of the paper-scale recipe: base S-ViLM under DeepSpeed ZeRO-2 in bf16.

Run on a CUDA machine (see bench/gpu.sh, which prepares the wheels and data it needs):
    python bench/gpu.py --data DIR --tokenizer DIR [--out results.json] [--steps 20]
Smoke test on a CPU: `python bench/gpu.py --smoke --data DIR --tokenizer DIR`.

For each case (frames 16/32, micro batch, gradient checkpointing on/off, fused AdamW on/off) it
builds the model and objective, wraps them in a real `deepspeed.initialize` engine (the config
comes from `TrainConfig` exactly as the recipe derives it), cycles a few real batches of the
synthetic suite decoded at 224 px (held on the GPU, so the step is measured, not the loader),
and reports: step time, clips/s, peak GPU memory, model FLOPs per step (torch's FLOP counter
over one forward + backward), MFU = FLOPs / step time / the card's dense bf16 peak, and whether
the losses fall and stay finite. Then the data pipeline alone: clips/s of the pre-training
DataLoader at 224 px with 0..16 workers against raw decode in one process.
Results print as Markdown and are written to --out as JSON after every case.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

DENSE_BF16_PEAK = {"H100": 989.4e12, "H200": 989.4e12, "A100": 312e12}  # datasheet, dense (no sparsity)


def card_peak(name: str) -> float | None:
    return next((peak for key, peak in DENSE_BF16_PEAK.items() if key in name), None)


def matmul_tflops(device: torch.device, n: int = 8192, reps: int = 10) -> float:
    a = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    b = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e12


def load_batches(data: Path, tokenizer: Any, frames: int, size: int, batch: int, count: int, workers: int):
    """`count` pre-training batches of the synthetic clips, decoded and cropped at `size` px."""
    from core.data.formats import read_index
    from core.data.loader import build_pretrain_loader
    from core.data.tasks.pretrain import PretrainDataset

    index = read_index("captions", data)
    dataset = PretrainDataset([index], tokenizer, num_frames=frames, size=size, max_caption_len=40,
                              max_noun_len=16, noun_cache=data.parent / "nouns")
    loader = build_pretrain_loader(dataset, batch, workers=workers, collate_fn=dataset.collate())
    batches = []
    for item in loader:
        batches.append(item)
        if len(batches) == count:
            break
    return batches


def train_step(engine: Any, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
    """One step; the losses stay on the device (reading them every step would stall the CPU,
    which could otherwise queue the next step's kernels while the GPU runs this one)."""
    out = engine(batch)
    engine.backward(out["loss"])
    engine.step()
    return {k: v.detach() for k, v in out.items() if k.startswith("loss")}


def compile_blocks(model: torch.nn.Module) -> int:
    """Compile every transformer block of both towers in place (`nn.Module.compile` keeps parameter
    names, so DeepSpeed and checkpoints see the same model): fuses LayerNorm, GELU, residual adds
    and casts, the small kernels the profile showed between the GEMMs. Returns the count."""
    from transformers.models.bert.modeling_bert import BertLayer

    from core.model.layers import Block

    blocks = [m for m in model.modules() if isinstance(m, (Block, BertLayer))]
    for block in blocks:
        block.compile()
    return len(blocks)


# Model FLOPs per (frames, batch), counted on an uncompiled case: the FLOP counter cannot see
# inside compiled graphs, and compiling does not change the model's FLOPs.
FLOPS_BY_SHAPE: dict[tuple[int, int], float] = {}


def run_case(case: dict[str, Any], batches: list[dict[str, Any]], steps: int, device_type: str,
             preset: str) -> dict[str, Any]:
    import deepspeed
    from torch.utils.flop_counter import FlopCounterMode

    from core.losses import LossConfig, PretrainObjective
    from core.model import count_parameters, create_model
    from core.train.config import TrainConfig, deepspeed_config
    from core.train.distributed import init_distributed
    from core.train.steps import compile_towers

    dist = init_distributed(device_type)
    torch.manual_seed(0)
    overrides = {"video.num_frames": case["frames"], "video.grad_checkpointing": case["ckpt"]}
    model = create_model(preset, **overrides)
    if case.get("compile") == "towers":
        compile_towers(model)  # what `train.compile: true` does in the recipe
    elif case.get("compile"):
        compile_blocks(model)
    objective = PretrainObjective(model, LossConfig())
    train = TrainConfig(batch_size=case["batch"], zero_stage=case.get("zero", 2),
                        precision="bf16" if device_type == "cuda" else "fp32",
                        lr=1e-4, warmup_steps=3, max_steps=1000, grad_clip=1.0)
    config = deepspeed_config(train, 1, device_type)
    config["optimizer"]["params"]["fused"] = case["fused"]
    if case.get("zero_tuned"):
        config["zero_optimization"].update(overlap_comm=True, contiguous_gradients=True,
                                           reduce_bucket_size=int(5e8), allgather_bucket_size=int(5e8))
    engine, _, _, _ = deepspeed.initialize(model=objective, model_parameters=list(objective.parameters()),
                                           config=config)
    gpu_batches = [{k: v.to(dist.device, non_blocking=True) for k, v in b.items() if torch.is_tensor(v)}
                   for b in batches]

    def sync() -> None:
        if device_type == "cuda":
            torch.cuda.synchronize()

    losses = [train_step(engine, gpu_batches[i % len(gpu_batches)]) for i in range(3)]  # warm-up (and cuDNN/SDPA picks)
    if device_type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sync()
    t0 = time.perf_counter()
    for i in range(steps):
        losses.append(train_step(engine, gpu_batches[(i + 3) % len(gpu_batches)]))
        if case.get("sync_every_step"):  # what a loop that logs a float every step does
            float(losses[-1]["loss"])
    sync()
    step_time = (time.perf_counter() - t0) / steps
    peak_gib = torch.cuda.max_memory_allocated() / 2**30 if device_type == "cuda" else None  # before the count
    if case.get("profile") and device_type == "cuda":
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            for i in range(3):
                train_step(engine, gpu_batches[i % len(gpu_batches)])
            sync()
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=60))
    # Model FLOPs exclude what checkpointing recomputes: count one step with it switched off.
    shape = (case["frames"], case["batch"])
    if case.get("compile") and shape in FLOPS_BY_SHAPE:
        flops = FLOPS_BY_SHAPE[shape]
    else:
        video_cfg = engine.module.model.video.cfg
        video_cfg.grad_checkpointing = False
        counter = FlopCounterMode(display=False)
        with counter:
            out = engine(gpu_batches[0])
            engine.backward(out["loss"])
        engine.step()
        video_cfg.grad_checkpointing = case["ckpt"]
        flops = counter.get_total_flops()
        if not case.get("compile"):
            FLOPS_BY_SHAPE[shape] = flops
    name = torch.cuda.get_device_name() if device_type == "cuda" else platform.processor() or "cpu"
    peak = card_peak(name) if device_type == "cuda" else None
    losses = [{k: float(v) for k, v in entry.items()} for entry in losses]
    totals = [entry["loss"] for entry in losses]
    first, last = sum(totals[:3]) / 3, sum(totals[-3:]) / 3
    result = {
        **case, "params": count_parameters(model), "step_s": step_time, "clips_per_s": case["batch"] / step_time,
        "peak_gib": peak_gib,
        "tflop_per_step": flops / 1e12, "tflops": flops / step_time / 1e12,
        "mfu": flops / step_time / peak if peak else None,
        "loss_first": first, "loss_last": last, "losses_fall": last < first,
        "finite": all(math.isfinite(v) for entry in losses for v in entry.values()),
        "last_terms": losses[-1],
    }
    del engine, objective, model, gpu_batches
    if device_type == "cuda":
        torch.cuda.empty_cache()
    return result


def data_pipeline(data: Path, tokenizer: Any, frames: int, size: int, worker_counts: list[int],
                  clips: int) -> list[dict[str, Any]]:
    from core.data.formats import read_index
    from core.data.video import Video, frame_range, uniform_indices

    index = read_index("captions", data)
    samples = [s for s in index.splits["train"] if s.video][:clips]
    t0 = time.perf_counter()
    for sample in samples:
        video = Video(index.video_path(sample))
        first, stop = frame_range(video.info, sample.start, sample.end)
        video.frames(uniform_indices(first, stop, frames, None))
    raw = len(samples) / (time.perf_counter() - t0)
    rows = [{"what": "raw decode, 1 process", "clips_per_s": raw}]
    for workers in worker_counts:
        batch = 32
        t0 = time.perf_counter()
        got = load_batches(data, tokenizer, frames, size, batch, max(1, clips // batch), workers)
        n = sum(len(b["index"]) for b in got)
        rows.append({"what": f"pre-training loader, {workers} workers, {size} px", "clips_per_s": n / (time.perf_counter() - t0)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a `captions` dataset root (synth-pretrain)")
    parser.add_argument("--tokenizer", type=Path, required=True, help="a local tokenizer folder (MiniLM's)")
    parser.add_argument("--out", type=Path, default=Path("gpu-bench.json"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny preset on the CPU: checks the script runs")
    parser.add_argument("--quick", action="store_true", help="only the host-sync and ZeRO-bucket comparison")
    parser.add_argument("--tune", action="store_true",
                        help="16 frames, micro batch 64: ZeRO 2 / 1 / 0 and compiled transformer blocks")
    parser.add_argument("--tune2", action="store_true",
                        help="compiled blocks or whole towers at micro batch 64 and 96")
    args = parser.parse_args()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(args.tokenizer))
    device_type = "cpu" if args.smoke else "cuda"
    preset, size = ("tiny", 32) if args.smoke else ("base", 224)
    report: dict[str, Any] = {"device": torch.cuda.get_device_name() if device_type == "cuda" else "cpu",
                              "torch": torch.__version__, "cases": [], "data": []}
    if device_type == "cuda":
        import deepspeed

        report["deepspeed"] = deepspeed.__version__
        report["matmul_bf16_tflops"] = matmul_tflops(torch.device("cuda"))
        report["datasheet_bf16_tflops"] = (card_peak(report["device"]) or 0) / 1e12
    quick = [
        dict(frames=16, batch=32, ckpt=False, fused=True),
        dict(frames=32, batch=16, ckpt=False, fused=True),
        dict(frames=32, batch=16, ckpt=True, fused=True),
        dict(frames=16, batch=64, ckpt=False, fused=True),
    ]
    tune = [
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=2),
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=1),
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=0),
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=2, compile=True),
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=1, compile=True),
        dict(frames=32, batch=32, ckpt=True, fused=True, zero=1),
    ]
    tune2 = [
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=2),  # uncompiled: the reference and its FLOP count
        dict(frames=16, batch=64, ckpt=False, fused=True, zero=2, compile="towers"),
        dict(frames=16, batch=96, ckpt=False, fused=True, zero=2),
        dict(frames=16, batch=96, ckpt=False, fused=True, zero=2, compile=True),
        dict(frames=16, batch=96, ckpt=False, fused=True, zero=2, compile="towers"),
    ]
    cases = [dict(frames=4, batch=4, ckpt=False, fused=False), dict(frames=4, batch=4, ckpt=True, fused=False,
                                                                     zero_tuned=True)] \
        if args.smoke else quick if args.quick else tune if args.tune else tune2 if args.tune2 else [
            dict(frames=16, batch=16, ckpt=False, fused=False),
            dict(frames=16, batch=16, ckpt=False, fused=True),
            dict(frames=16, batch=32, ckpt=False, fused=True),
            dict(frames=16, batch=32, ckpt=True, fused=True),
            dict(frames=32, batch=16, ckpt=False, fused=True),
            dict(frames=32, batch=16, ckpt=True, fused=True),
            dict(frames=16, batch=64, ckpt=False, fused=True),
        ]
    cache: dict[tuple[int, int], list] = {}
    for case in cases:
        try:
            key = (case["frames"], case["batch"])
            if key not in cache:
                cache[key] = load_batches(args.data, tokenizer, case["frames"], size, case["batch"], 3,
                                          workers=0 if args.smoke else 8)
            result = run_case(case, cache[key], 2 if args.smoke else args.steps, device_type, preset)
        except Exception as err:  # noqa: BLE001 - one failing case (e.g. out of memory) must not lose the rest
            result = {**case, "error": f"{type(err).__name__}: {str(err)[:300]}", "trace": traceback.format_exc()[-1500:]}
            if device_type == "cuda":
                torch.cuda.empty_cache()
        report["cases"].append(result)
        args.out.write_text(json.dumps(report, indent=1))
        print(json.dumps({k: v for k, v in result.items() if k != "trace"}), flush=True)
    workers = [0, 2] if args.smoke else [0, 4, 8, 16]
    try:
        if args.quick or args.tune or args.tune2:
            raise RuntimeError("skipped with --quick / --tune")
        report["data"] = data_pipeline(args.data, tokenizer, 4 if args.smoke else 16, size, workers,
                                       32 if args.smoke else 384)
    except Exception as err:  # noqa: BLE001
        report["data_error"] = f"{type(err).__name__}: {err}"
    args.out.write_text(json.dumps(report, indent=1))
    print("| frames | micro batch | grad ckpt | fused AdamW | sync/step | ZeRO | compiled | step s | clips/s | peak GiB | "
          "TFLOP/step | TFLOP/s | MFU | loss first -> last | finite |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["cases"]:
        if "error" in r:
            print(f"| {r['frames']} | {r['batch']} | {r['ckpt']} | {r['fused']} | error: {r['error'][:80]} |")
            continue
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] else ""
        gib = f"{r['peak_gib']:.1f}" if r["peak_gib"] is not None else ""
        print(f"| {r['frames']} | {r['batch']} | {r['ckpt']} | {r['fused']} | {r.get('sync_every_step', False)} | "
              f"{r.get('zero', 2)}{' tuned buckets' if r.get('zero_tuned') else ''} | {r.get('compile') or False} | "
              f"{r['step_s']:.3f} | {r['clips_per_s']:.1f} | "
              f"{gib} | {r['tflop_per_step']:.2f} | {r['tflops']:.0f} | {mfu} | {r['loss_first']:.3f} -> "
              f"{r['loss_last']:.3f} | {r['finite']} |")
    for row in report["data"]:
        print(f"| data | {row['what']} | {row['clips_per_s']:.1f} clips/s |")


if __name__ == "__main__":
    main()
