"""Which numbers a seeded run reproduces: the same machine again, another thread count, other CPU kernels.

Run: `.venv/bin/python bench/reproducibility.py [--steps 30] [--recipe tiny]`. Each case is a real
`sviml run pretrain` on the tiny synthetic suite (generated into a temporary home) with the same seed;
only the environment differs:

- the default (every core), twice: are same-machine repeats bitwise equal?
- `OMP_NUM_THREADS=1`: a reduction split over fewer threads adds its partial sums in another order;
- AVX2 kernels on an AVX-512 machine (`ATEN_CPU_CAPABILITY=avx2`, `MKL_ENABLE_INSTRUCTIONS=AVX2`,
  `ONEDNN_MAX_CPU_ISA=AVX2`): what a machine of the same kind on an older CPU generation runs.

Prints, per case, whether every logged loss and the exported weights are bitwise equal to the first
run, the largest loss difference at any step, and the final losses.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import machine_line, print_table  # noqa: E402

RUN_FOLDER = re.compile(r"^run \S+ \(.*?\): (\S+)$", re.MULTILINE)
AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
CASES = (
    ("default threads", {}),
    ("default threads, again", {}),
    ("OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"}),
    ("AVX2 kernels (ATen, MKL, oneDNN)", AVX2),
)
TAGS = ("train/loss", "train/loss_contrast", "train/loss_ground", "train/loss_temporal")


def sviml(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, SVIML_HOME=str(home), **(extra_env or {}))
    env.setdefault("TORCH_EXTENSIONS_DIR", str(Path(sys.prefix) / "torch_extensions"))
    return subprocess.run([sys.executable, "-m", "sviml_cli", *args], env=env, capture_output=True, text=True,
                          check=False)


def train(home: Path, recipe: str, steps: int, extra_env: dict[str, str]) -> Path:
    out = sviml(home, "run", "pretrain", "--recipe", recipe, f"train.max_steps={steps}", f"train.save_every={steps}",
                "train.log_every=1", extra_env=extra_env)
    found = RUN_FOLDER.search(out.stderr)
    if out.returncode or found is None:
        raise SystemExit(f"training failed ({extra_env}): {out.stderr[-800:]}")
    return Path(found.group(1))


def losses(run_dir: Path) -> dict[str, list[float]]:
    from core.report.plots.losses import read_scalars

    return {tag: values for tag, (_, values) in read_scalars(run_dir / "tb", TAGS).items()}


def weights_equal(a: Path, b: Path) -> tuple[bool, float]:
    import torch
    from safetensors.torch import load_file

    wa, wb = load_file(str(a / "export" / "model.safetensors")), load_file(str(b / "export" / "model.safetensors"))
    diff = max(float((wa[k] - wb[k]).abs().max()) for k in wa)
    return all(torch.equal(wa[k], wb[k]) for k in wa), diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--recipe", default="tiny")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sviml-repro-"))
    out = sviml(home, "data", "add", "synth", "--size", "tiny")
    if out.returncode:
        raise SystemExit(out.stderr[-800:])
    folders = [(label, train(home, args.recipe, args.steps, env)) for label, env in CASES]
    reference = losses(folders[0][1])
    rows = []
    for label, folder in folders:
        curves = losses(folder)
        bitwise = curves == reference
        worst = max(abs(x - y) for tag in TAGS for x, y in zip(curves[tag], reference[tag], strict=True))
        same_weights, weight_diff = weights_equal(folders[0][1], folder)
        final = " / ".join(f"{curves[tag][-1]:.6f}" for tag in TAGS)
        rows.append((label, "yes" if bitwise else "no", f"{worst:.2e}", "yes" if same_weights else "no",
                     f"{weight_diff:.2e}", final))
    print(machine_line(f".venv/bin/python bench/reproducibility.py --steps {args.steps} --recipe {args.recipe}"))
    import torch

    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{torch.get_num_threads()} threads by default")
    print_table(["case", "losses bitwise equal", "largest loss difference", "weights bitwise equal",
                 "largest weight difference", "final loss / contrast / ground / temporal"], rows)


if __name__ == "__main__":
    main()
