"""Does a 2D-ViT initialisation speed up S-ViLM's pre-training? `small` on the synthetic suite, scratch vs ViT.

For each seed, two `small` pre-training runs that differ only in `model.video.pretrained`: none
(random video tower) and the 2D ViT that bench/vit2d_pretrain.py trained on single frames. Both run
the same steps, data order and schedule; then zero-shot retrieval on the synthetic MSR-VTT (1k-A
style test split). Printed: the training loss at equal steps (TensorBoard) and the zero-shot numbers.

    SVIML_HOME=H python bench/vit_init.py --vit DIR [--seeds 0 1] [--steps 300]
(H: a home with the small synthetic suite registered: `sviml data add synth --size small`.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, print_table  # noqa: E402

LOSS_STEPS = (50, 100, 200, 300)
METRICS = ("t2v_R@1", "t2v_R@5", "v2t_R@1", "t2v_MnR")


def sviml(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "sviml_cli", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"sviml {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vit", type=Path, help="the 2D ViT folder (bench/vit2d_pretrain.py --out)")
    parser.add_argument("--variants", nargs="+", default=["scratch", "2D ViT"], choices=["scratch", "2D ViT"],
                        help="run only these arms (results are added to --out)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("vit-init.json"))
    args = parser.parse_args()
    from core.report.plots.losses import read_scalars

    if "2D ViT" in args.variants and args.vit is None:
        raise SystemExit("--vit is required for the 2D ViT arm")
    records = json.loads(args.out.read_text())["runs"] if args.out.is_file() else []
    done = {(r["seed"], r["variant"]) for r in records}
    for seed in args.seeds:
        for variant in args.variants:
            if (seed, variant) in done:  # measured already (a resumed experiment): keep it
                continue
            overrides = [f"train.max_steps={args.steps}", f"train.save_every={args.steps}", f"train.seed={seed}"]
            if variant != "scratch":
                overrides.append(f"model.video.pretrained={args.vit.resolve()}")
            name = f"vitinit-{'vit' if variant != 'scratch' else 'scratch'}-s{seed}"
            t0 = time.perf_counter()
            sviml("run", "pretrain", "--recipe", "small", *overrides, "--name", name)
            train_s = time.perf_counter() - t0
            run = next(r for r in json.loads(sviml("runs", "ls", "--json")) if r["name"] == name)
            sviml("eval", "--run", run["id"], "--task", "retrieval_zs")
            shown = json.loads(sviml("runs", "show", run["id"], "--json"))
            results = {r["metric"]: r["value"] for r in shown["results"] if r["task"] == "retrieval_zs"}
            curves = read_scalars(Path(shown["run_dir"]) / "tb", ["train/loss"])
            steps, values = curves["train/loss"]
            # Loss at step s: the mean of the values logged over the 50 steps up to s (logged every 10).
            loss_at = {s: sum(v for t, v in zip(steps, values, strict=True) if s - 50 < t <= s)
                       / max(1, sum(1 for t in steps if s - 50 < t <= s)) for s in LOSS_STEPS if s in steps}
            record = {"seed": seed, "variant": variant, "run": run["id"], "train_s": round(train_s, 1),
                      "loss": {str(s): round(loss_at[s], 4) for s in LOSS_STEPS if s in loss_at},
                      "retrieval_zs": {m: results.get(m) for m in METRICS}, "init": shown["tags"].get("init")}
            records = [r for r in records if (r["seed"], r["variant"]) != (seed, variant)] + [record]
            args.out.write_text(json.dumps({"machine": machine_line(" ".join(sys.argv)),
                                            "home": os.environ.get("SVIML_HOME"), "runs": records}, indent=2))
    rows = [[r["seed"], r["variant"], *(f"{r['loss'][str(s)]:.3f}" if str(s) in r["loss"] else "" for s in LOSS_STEPS),
             *(f"{r['retrieval_zs'][m]:.1f}" if r["retrieval_zs"].get(m) is not None else "" for m in METRICS),
             f"{r['train_s']:.0f}"] for r in sorted(records, key=lambda r: (r["variant"], r["seed"]))]
    print_table(["seed", "init", *(f"loss@{s}" for s in LOSS_STEPS), *METRICS, "train wall s"], rows)
    print(machine_line(" ".join(sys.argv)))


if __name__ == "__main__":
    main()
