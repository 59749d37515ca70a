"""Benchmark: forward+backward step time of the `small` preset with `PretrainObjective` on this machine.

Run: `.venv/bin/python bench/model.py [--batch 32] [--steps 6] [--threads N] [--extra] [--device cuda]`

Measures, on one fixed batch (random uint8 frames; captions and noun prompts tokenised like the
synthetic suite's, padded to the preset's lengths):
- the fp32 (and bf16) matmul peak of the machine (large square matmuls);
- the step time of contrastive-only and of the full objective (all three losses), their ratio;
- the step's FLOPs (torch.utils.flop_counter) and achieved FLOP/s as a share of the fp32 peak;
- the full objective under bf16 autocast on CPU;
- with --extra: no pasting, and the MiniLM text tower (partly / fully frozen) instead of the scratch one;
- with --device cuda: fp32 and bf16 autocast on the GPU for `small`, then `base` (the paper's
  scale) under bf16 autocast at --base-batch, with and without gradient checkpointing.
Step times are the minimum over `--steps` timed steps after a warm-up step, the cases timed
round-robin (the minimum is the figure least disturbed by other processes on a shared
machine); the median is printed too.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from dataclasses import replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from core.losses import LossConfig, PretrainObjective  # noqa: E402
from core.model import count_parameters, create_model, load_tokenizer  # noqa: E402

COLOURS = ["red", "green", "blue", "yellow", "purple", "orange"]
SHAPES = ["circle", "square", "triangle", "star"]
MOTIONS = ["moves left", "moves right", "moves up", "moves down", "bounces", "spins"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 10) -> float:
    """Best GFLOP/s of n x n matmuls (the best rep: the least disturbed by other processes)."""
    a, b = torch.randn(n, n, dtype=dtype, device=device), torch.randn(n, n, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    sync(device)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def make_batch(model, batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Fixed random frames plus realistic captions ("a red circle moves left and ...") and prompts.

    Without the MiniLM package (e.g. on a bare GPU machine) the ids are random with the same
    lengths as the tokenised text (18 caption tokens, 9 prompt tokens, [CLS]/[SEP] included).
    """
    vcfg, tcfg = model.cfg.video, model.cfg.text
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(
        0, 256, (batch, vcfg.num_frames, 3, vcfg.image_size, vcfg.image_size), dtype=torch.uint8, generator=g
    )

    def pick(options: list[str]) -> str:
        return options[int(torch.randint(len(options), (1,), generator=g))]

    captions, prompts = [], []
    for _ in range(batch):
        objs = [f"{pick(COLOURS)} {pick(SHAPES)}" for _ in range(2)]
        captions.append(f"a {objs[0]} {pick(MOTIONS)} and a {objs[1]} {pick(MOTIONS)} on a textured background")
        prompts += [f"A photo of a {o}." for o in objs]
    try:
        tok = load_tokenizer(tcfg)
    except ImportError:
        cap, nn_ = random_tokens(batch, tcfg.caption_len, 18, g), random_tokens(2 * batch, tcfg.prompt_len, 9, g)
    else:
        cap = tok(captions, padding="max_length", max_length=tcfg.caption_len, truncation=True, return_tensors="pt")
        nn_ = tok(prompts, padding="max_length", max_length=tcfg.prompt_len, truncation=True, return_tensors="pt")
    return {
        "frames": frames,
        "caption_ids": cap["input_ids"],
        "caption_mask": cap["attention_mask"],
        "noun_ids": nn_["input_ids"].view(batch, 2, -1),
        "noun_mask": nn_["attention_mask"].view(batch, 2, -1),
    }


def random_tokens(rows: int, length: int, real: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    ids = torch.zeros(rows, length, dtype=torch.long)
    ids[:, :real] = torch.randint(1000, 5000, (rows, real), generator=g)
    mask = torch.zeros_like(ids)
    mask[:, :real] = 1
    return {"input_ids": ids, "attention_mask": mask}


class Case:
    """One configuration to time: a model, a loss config and the batch, ready to step."""

    def __init__(self, name: str, model, cfg: LossConfig, batch: dict[str, torch.Tensor]) -> None:
        self.name = name
        self.model = model
        self.device = next(model.parameters()).device
        torch.manual_seed(0)
        self.objective = PretrainObjective(model, cfg, generator=torch.Generator(device=self.device).manual_seed(0))
        self.batch = {k: v.to(self.device) for k, v in batch.items()}
        self.times: list[float] = []
        counter = FlopCounterMode(display=False)
        with counter:
            self.step()
        self.flops = counter.get_total_flops()
        self.step()  # warm-up
        self.gib = float("nan")

    def step(self) -> None:
        self.model.zero_grad(set_to_none=True)
        self.objective(self.batch)["loss"].backward()

    def timed_step(self) -> None:
        sync(self.device)
        t = time.perf_counter()
        self.step()
        sync(self.device)
        self.times.append(time.perf_counter() - t)

    def row(self) -> dict[str, float]:
        best = min(self.times)
        return {"min": best, "median": statistics.median(self.times), "gflop": self.flops / 1e9,
                "gflops": self.flops / best / 1e9, "gib": self.gib}


def run_interleaved(cases: list[Case], steps: int) -> list[tuple[str, dict[str, float]]]:
    """Time `steps` steps of every case, round-robin, so that a busy spell on a shared machine
    hits all cases alike; each case's minimum is its figure."""
    for _ in range(steps):
        for case in cases:
            case.timed_step()
    return [(case.name, case.row()) for case in cases]


def cpu_rows(args: argparse.Namespace) -> tuple[list[tuple[str, dict[str, float]]], object]:
    model = create_model("small").train()
    batch = make_batch(model, args.batch)
    contrast = LossConfig(w_ground=0.0, w_temporal=0.0)
    cases = [
        Case("small: contrastive only, no pasting (fp32)", model, replace(contrast, paste=False), batch),
        Case("small: contrastive only, pasted clips (fp32)", model, contrast, batch),
        Case("small: full objective (fp32)", model, LossConfig(), batch),
        Case("small: full objective (bf16 autocast)", model, LossConfig(precision="bf16"), batch),
    ]
    if args.extra:
        for frozen, label in ((4, "4 of 6 layers frozen"), (-1, "all layers frozen")):
            minilm = create_model("small", text={"pretrained": "minilm", "frozen_layers": frozen}).train()
            cases.append(Case(f"small + MiniLM text tower, {label}: full (fp32)", minilm, LossConfig(), batch))
    return run_interleaved(cases, args.steps), model


def cuda_rows(args: argparse.Namespace) -> tuple[list[tuple[str, dict[str, float]]], object]:
    device = torch.device("cuda")
    model = create_model("small").train().to(device)
    batch = make_batch(model, args.batch)
    contrast = LossConfig(w_ground=0.0, w_temporal=0.0, paste=False)
    rows = run_interleaved([
        Case("small: contrastive only, no pasting (fp32)", model, replace(contrast, precision="fp32"), batch),
        Case("small: full objective (fp32)", model, LossConfig(precision="fp32"), batch),
        Case("small: full objective (bf16 autocast)", model, LossConfig(), batch),
    ], args.steps)
    del model
    for ckpt in (False, True):
        base = create_model("base", **{"video.grad_checkpointing": ckpt, "text.grad_checkpointing": ckpt})
        base = base.train().to(device)
        base_batch = make_batch(base, args.base_batch)
        label = f"base (16 x 224 px), batch {args.base_batch}, bf16 autocast{', grad checkpointing' if ckpt else ''}"
        for name, cfg in ((f"{label}: contrastive only, no pasting", contrast), (f"{label}: full objective", LossConfig())):
            torch.cuda.reset_peak_memory_stats()
            case = Case(name, base, cfg, base_batch)
            rows += run_interleaved([case], args.steps)
            rows[-1][1]["gib"] = torch.cuda.max_memory_allocated() / 2**30
        del base
        torch.cuda.empty_cache()
    return rows, create_model("small")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--extra", action="store_true", help="also time the MiniLM text-tower alternatives")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--base-batch", type=int, default=16, help="batch of the base preset (cuda only)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    # Peak first and again last: on a shared machine the larger figure is the machine's.
    peak32, peak16 = matmul_peak(torch.float32, device), matmul_peak(torch.bfloat16, device)
    rows, model = cuda_rows(args) if device.type == "cuda" else cpu_rows(args)
    peak32 = max(peak32, matmul_peak(torch.float32, device))
    peak16 = max(peak16, matmul_peak(torch.bfloat16, device))

    cfg = model.cfg
    where = torch.cuda.get_device_name() if device.type == "cuda" else f"{platform.machine()} CPU, {torch.get_num_threads()} threads"
    print(f"date {datetime.date.today()}, {where}, torch {torch.__version__}, load average {os.getloadavg()[0]:.2f}")
    print(f"preset small: {count_parameters(model):,} parameters; {cfg.video.num_frames} frames at "
          f"{cfg.video.image_size} px, tubelet {cfg.video.tubelet}x{cfg.video.patch}x{cfg.video.patch}, "
          f"width {cfg.video.width}, depth {cfg.video.depth}, M {cfg.video.num_groups}, batch {args.batch}")
    print()
    # A row's share is of the peak of its own precision (bf16 rows: the bf16 peak).
    print("| measurement | step s (min) | step s (median) | GFLOP/step | GFLOP/s | % of peak | peak GiB |")
    print("|---|---|---|---|---|---|---|")
    print(f"| fp32 matmul peak (2048^3) | | | | {peak32:.0f} | 100 | |")
    print(f"| bf16 matmul peak (2048^3) | | | | {peak16:.0f} | 100 | |")
    for name, r in rows:
        peak = peak16 if "bf16" in name else peak32
        gib = "" if r["gib"] != r["gib"] else f"{r['gib']:.1f}"  # NaN on CPU
        print(f"| {name} | {r['min']:.3f} | {r['median']:.3f} | {r['gflop']:.1f} | {r['gflops']:.0f} | "
              f"{100 * r['gflops'] / peak:.0f} | {gib} |")
    print()
    base_row, full_row = rows[0][1], next(r for n, r in rows if n.startswith("small: full objective (fp32)"))
    print(f"small, full objective (fp32) / contrastive only without pasting: {full_row['min'] / base_row['min']:.2f}x "
          "(target <= 1.15x)")
    base_rows = [r for n, r in rows if n.startswith("base") and "checkpointing" not in n]
    if len(base_rows) == 2:
        print(f"base, full objective / contrastive only without pasting: {base_rows[1]['min'] / base_rows[0]['min']:.2f}x")


if __name__ == "__main__":
    main()
