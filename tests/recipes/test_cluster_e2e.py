"""Cluster launching on this machine, end to end with real DeepSpeed over gloo: one owner per run, `runs
stop`, two torchrun "nodes", SLURM through an `srun` stand-in, DeepSpeed's hostfile path through a
`pdsh` stand-in that starts each "host" with an empty environment, and resuming on another number of
processes.

The stand-ins replace only what cannot run here (a scheduler, remote shells): they execute exactly
the per-node commands sviml and DeepSpeed build, on localhost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from core.registry import Registry, RunStatus
from core.settings import Settings
from core.train.distributed import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sviml_cli", *args]


def _env(home: Path, **extra: str) -> dict[str, str]:
    # One intra-op thread per rank everywhere: runs compared across layouts then sum alike.
    return {**os.environ, "SVIML_HOME": str(home), "OMP_NUM_THREADS": "1", **extra}


def _run(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 900):
    out = subprocess.run(_cli(home, *args), env=env or _env(home), cwd=REPO, capture_output=True, text=True,
                         timeout=timeout)
    return out


def _named(registry: Registry, name: str):
    runs = [r for r in registry.list_runs() if r.name == name]
    return runs[0] if runs else None


def _weights(registry: Registry, run_id: str) -> dict[str, torch.Tensor]:
    export = registry.list_checkpoints(run_id, kind="export", complete_only=True)
    assert len(export) == 1
    return load_file(os.path.join(export[0].path, "model.safetensors"))


def _wait_for_checkpoint(registry: Registry, name: str, proc: subprocess.Popen, at_least: int = 1):
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        run = _named(registry, name)
        if run is not None:
            newest = registry.newest_checkpoint(run.id)
            if newest is not None and newest.step >= at_least:
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {name} ended before its first checkpoint")


def _wait_status(registry: Registry, run_id: str, statuses: tuple[str, ...], timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = registry.require_run(run_id).status
        if status in statuses:
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {registry.require_run(run_id).status}")


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_killed_launcher_never_leaves_two_sets_of_workers(synth_home: Path):
    common = ["run", "pretrain", "--recipe", "tiny", "--nproc", "2", "train.max_steps=80", "train.save_every=5"]
    assert _run(synth_home, *common, "--name", "straight").returncode == 0
    registry = Registry.from_settings(Settings())
    expected = _weights(registry, _named(registry, "straight").id)

    # Kill only the launcher (a closed SSH session): its workers live in their own session.
    proc = subprocess.Popen(_cli(synth_home, *common, "--name", "orphaned"), env=_env(synth_home), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = _wait_for_checkpoint(registry, "orphaned", proc, at_least=5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = _run(synth_home, "run", "pretrain", "--nproc", "2", "--resume", run.id)
    if again.returncode == 2:  # the workers were still finishing their last step
        assert "has live workers on host" in again.stderr and f"sviml runs stop {run.id}" in again.stderr
        assert len(again.stderr.strip().splitlines()) <= 2  # the "resuming" line and the refusal
        # They notice the launcher is gone and stop on their own, after a final checkpoint.
        assert _wait_status(registry, run.id, (RunStatus.INTERRUPTED,)) == RunStatus.INTERRUPTED
        again = _run(synth_home, "run", "pretrain", "--nproc", "2", "--resume", run.id)
    assert again.returncode == 0, again.stderr[-3000:]
    finished = registry.require_run(run.id)
    assert finished.status == RunStatus.FINISHED and finished.step == 80
    assert registry.get_lease(run.id) is None  # given back
    _same(_weights(registry, run.id), expected)  # one set of workers, an exact resume


def test_runs_stop_then_resume_on_fewer_processes(synth_home: Path):
    common = ["run", "pretrain", "--recipe", "tiny", "train.zero_stage=2", "train.max_steps=120", "train.save_every=10"]
    proc = subprocess.Popen(_cli(synth_home, *common, "--nproc", "2", "--name", "stopped"), env=_env(synth_home),
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    registry = Registry.from_settings(Settings())
    run = _wait_for_checkpoint(registry, "stopped", proc)
    # From another shell: the stop request reaches the workers, which checkpoint and end `interrupted`.
    out = _run(synth_home, "runs", "stop", run.id)
    assert out.returncode == 0, out.stderr
    assert proc.wait(timeout=300) == 130, proc.stderr.read()[-2000:]
    stopped = registry.require_run(run.id)
    assert stopped.status == RunStatus.INTERRUPTED and 0 < stopped.step < 120
    assert registry.newest_checkpoint(run.id).step == stopped.step
    assert _run(synth_home, "runs", "stop", run.id).returncode == 2  # nothing left to stop

    # Resume on one process (the allocation shrank): ZeRO-2's shards are converted and resharded.
    out = _run(synth_home, "run", "pretrain", "--nproc", "1", "--resume", run.id)
    assert out.returncode == 0, out.stderr[-3000:]
    finished = registry.require_run(run.id)
    assert finished.status == RunStatus.FINISHED and finished.step == 120 and finished.world_size == 1
    assert finished.tags["world_size_history"] == [{"step": stopped.step, "from": 2, "to": 1}]
    log = (Path(finished.run_dir) / "logs" / "train.log").read_text()
    assert "written by 2 processes: resharded for 1" in log
    assert _weights(registry, run.id)


def test_two_nodes_train_the_run_two_processes_train(synth_home: Path):
    common = ["run", "pretrain", "--recipe", "tiny"]
    assert _run(synth_home, *common, "--nproc", "2", "--name", "one-node").returncode == 0
    port = str(free_port())
    nodes = ["--nnodes", "2", "--master-addr", "127.0.0.1", "--master-port", port, "--nproc", "1"]
    second = subprocess.Popen(_cli(synth_home, *common, *nodes, "--node-rank", "1"), env=_env(synth_home), cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = _run(synth_home, *common, *nodes, "--node-rank", "0", "--name", "two-nodes")
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.wait(timeout=300) == 0, second.stderr.read()[-3000:]
    assert "SQLite" in first.stderr  # the warning about a shared SQLite registry
    registry = Registry.from_settings(Settings())
    runs = [r for r in registry.list_runs() if r.recipe == "pretrain"]
    assert len(runs) == 2  # node rank 1 created nothing
    two = _named(registry, "two-nodes")
    assert two.status == RunStatus.FINISHED and two.world_size == 2
    assert (Path(two.run_dir) / "logs" / "train.rank1.log").is_file()  # node 1's worker logged into the run
    _same(_weights(registry, two.id), _weights(registry, _named(registry, "one-node").id))


def _stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)


SRUN = '''
import os, subprocess, sys
args = sys.argv[1:]
ntasks = int(next(a.split("=", 1)[1] for a in args if a.startswith("--ntasks=")))
command = args[args.index("bash"):]
procs = [subprocess.Popen(command, env={**os.environ, "SLURM_PROCID": str(i), "SLURM_NODEID": str(i)})
         for i in range(ntasks)]
sys.exit(max(p.wait() for p in procs))
'''

PDSH = '''
import os, subprocess, sys
args = sys.argv[1:]
hosts = args[args.index("-w") + 1].split(",")
remote = " ".join(args[args.index("-w") + 2:])
clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}  # a fresh login on each host
procs = [subprocess.Popen(["bash", "-c", remote.replace("%n", str(i)).replace("%h", host)], env=clean)
         for i, host in enumerate(hosts)]
sys.exit(max(p.wait() for p in procs))
'''

SSH = '''
import sys
print("127.0.0.1" if sys.argv[-2:] == ["hostname", "-I"] else "localhost")
'''


def test_slurm_launcher_starts_one_torchrun_per_node(synth_home: Path, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stand_in(bin_dir, "srun", SRUN)
    env = _env(synth_home, PATH=f"{bin_dir}:{os.environ['PATH']}", SLURM_JOB_ID="77", SLURM_NNODES="2",
               SLURM_JOB_NODELIST="localhost,localhost")
    out = _run(synth_home, "run", "pretrain", "--recipe", "tiny", "--launcher", "slurm", "--name", "slurm", env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    run = _named(Registry.from_settings(Settings()), "slurm")
    assert run.status == RunStatus.FINISHED and run.world_size == 2  # 2 nodes x 1 process (no GPUs)
    assert (Path(run.run_dir) / "logs" / "train.rank1.log").is_file()
    bad = _run(synth_home, "run", "pretrain", "--recipe", "tiny", "--launcher", "slurm")
    assert bad.returncode == 2 and "inside a SLURM allocation" in bad.stderr


def test_hostfile_launcher_forwards_the_settings_to_remote_ranks(synth_home: Path, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stand_in(bin_dir, "pdsh", PDSH)
    _stand_in(bin_dir, "ssh", SSH)
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("localhost slots=1\n127.0.0.1 slots=1\n")
    env = _env(synth_home, PATH=f"{bin_dir}:{os.environ['PATH']}",
               TORCH_EXTENSIONS_DIR=os.environ.get("TORCH_EXTENSIONS_DIR", ""))
    out = _run(synth_home, "run", "pretrain", "--recipe", "tiny", "--hostfile", str(hostfile), "--name", "pdsh",
               env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    run = _named(Registry.from_settings(Settings()), "pdsh")
    assert run.status == RunStatus.FINISHED and run.world_size == 2
    # The ranks started with an empty environment found the registry and the run folder through the
    # settings sviml wrote for DeepSpeed to export.
    forwarded = dict(line.split("=", 1) for line in (Path(run.run_dir) / "deepspeed_env").read_text().splitlines())
    assert forwarded["SVIML_HOME"] == str(synth_home) and forwarded["SVIML_DB_URL"].startswith("sqlite:///")
