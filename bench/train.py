"""Training throughput of the `small` recipe on this machine: ZeRO 0, 2 and 3 with 1 and 2 processes,
and the time to write a checkpoint and to load it when resuming.

Run: `.venv/bin/python bench/train.py [--steps 20] [--home DIR]`. Each case is a real
`sviml run pretrain --recipe small` (DeepSpeed over gloo) on the small synthetic suite
(generated into the bench home on first use): it runs `--steps` steps, is interrupted with
Ctrl-C (SIGINT) right after the checkpoint at that step, and is resumed with `--resume` for
`--steps` more. Step time and clips/s are medians over the logged steps after two warm-up steps;
checkpoint time is the mean of the logged saves; resume time is the logged checkpoint load.
Prints a Markdown table with machine, command and date.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import machine_line  # noqa: E402

STEP = re.compile(r"step (\d+) .*?clips_per_s=([\d.e+-]+) step_time_s=([\d.e+-]+)")
SAVE = re.compile(r"checkpoint \S+ \(([\d.]+) MB\) in ([\d.]+) s")
LOAD = re.compile(r"loaded in ([\d.]+) s")
RUN_LINE = re.compile(r"^run \S+ \(.*?\): (\S+)$", re.MULTILINE)  # "run ID (NAME): FOLDER"


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ, SVIML_HOME=str(home))
    env.setdefault("TORCH_EXTENSIONS_DIR", str(Path(sys.prefix) / "torch_extensions"))
    return env


def sviml(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sviml_cli", *args], env=environment(home), capture_output=True,
                          text=True, check=False)


def run_case(home: Path, nproc: int, stage: int, steps: int) -> dict[str, float | str]:
    name = f"bench-{nproc}p-zero{stage}-{time.time_ns()}"
    command = [sys.executable, "-m", "sviml_cli", "run", "pretrain", "--recipe", "small", "--nproc", str(nproc),
               "--name", name, f"train.zero_stage={stage}", f"train.max_steps={2 * steps}",
               f"train.save_every={steps}", "train.log_every=1", "train.warmup_steps=5"]
    stderr_path = home / f"{name}.stderr"
    with open(stderr_path, "w") as stderr:
        proc = subprocess.Popen(command, env=environment(home), stdout=subprocess.DEVNULL, stderr=stderr)
    log_path = None
    while proc.poll() is None:  # interrupt once the checkpoint at `steps` is written
        time.sleep(0.5)
        started = RUN_LINE.search(stderr_path.read_text(errors="ignore"))
        if started and (Path(started.group(1)) / "logs" / "train.log").is_file():
            log_path = Path(started.group(1)) / "logs" / "train.log"
            if SAVE.search(log_path.read_text()):
                proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
                break
    proc.wait()
    if log_path is None:
        return {"error": stderr_path.read_text(errors="ignore").strip()[-200:]}
    run_id = log_path.parents[1].name
    resumed = sviml(home, "run", "pretrain", "--nproc", str(nproc), "--resume", run_id)
    if resumed.returncode:
        return {"error": resumed.stderr.strip().splitlines()[-1][:120]}
    log = log_path.read_text()
    timed = [(float(c), float(t)) for s, c, t in STEP.findall(log) if int(s) not in (1, 2, steps + 1, steps + 2)]
    saves = [(float(mb), float(sec)) for mb, sec in SAVE.findall(log)]
    loads = [float(x) for x in LOAD.findall(log)]
    return {"step_s": statistics.median(t for _, t in timed), "clips_per_s": statistics.median(c for c, _ in timed),
            "save_s": statistics.mean(s for _, s in saves), "mb": saves[-1][0], "load_s": loads[-1] if loads else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--home", type=Path, default=None, help="a home with the small suite registered")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="sviml-bench-train-"))
    if sviml(home, "data", "show", "synth-pretrain").returncode != 0:
        out = sviml(home, "data", "add", "synth", "--size", "small")
        if out.returncode:
            sys.exit(out.stderr)
    print(machine_line(f".venv/bin/python bench/train.py --steps {args.steps}"))
    print("| processes | ZeRO | step s | clips/s | checkpoint s | checkpoint MB | resume load s |")
    print("|---|---|---|---|---|---|---|")
    for nproc in (1, 2):
        for stage in (0, 2, 3):
            r = run_case(home, nproc, stage, args.steps)
            if "error" in r:
                print(f"| {nproc} | {stage} | failed: {r['error']} |", flush=True)
                continue
            print(f"| {nproc} | {stage} | {r['step_s']:.3f} | {r['clips_per_s']:.1f} | {r['save_s']:.2f} | "
                  f"{r['mb']:.0f} | {r['load_s']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
