"""Starting a run's worker processes, and the `RecipeLauncher` protocol that code below the CLI uses to
start recipes by name without importing them (`recipes.launch.Launcher` implements it).

A `LaunchPlan` says where the workers run; `worker_command` turns it into the command of one node:
- one process, one node: the recipe in the launcher's own process (no command);
- `nproc` processes and/or `nnodes` nodes: torchrun with static rendezvous (`--nnodes N
  --node_rank R --master_addr A --master_port P`), one `sviml run` per node, as torchrun itself
  is used; node rank 0 creates the run, the other nodes' workers learn its id from rank 0;
- `--hostfile`: DeepSpeed's launcher (pdsh), which forwards sviml's settings to remote ranks
  through a `.deepspeed_env`-style file in the run folder (`DS_ENV_FILE`);
- `--launcher slurm`: one torchrun per node of the allocation through `srun` (`core.train.slurm`).

The CLI creates the run row first (so a run that fails to start is still recorded), then the
workers pick it up by id. If they die without recording an end, `spawn` marks the run failed with
their exit code. Ctrl-C reaches the workers as SIGTERM: they agree on a step, save a final
checkpoint and mark the run `interrupted`; if the launcher itself dies, the workers notice
(`core.train.watchdog`) and do the same.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from core.errors import UserError
from core.registry.schema import RunStatus
from core.train.lifecycle import RUN_ID_FROM_RANK0, exit_code
from core.train.ownership import ProcessId
from core.train.watchdog import launcher_env

if TYPE_CHECKING:
    from core.registry import Run
    from core.settings import Settings
    from core.train.config import RecipeConfig

# Variables the workers need wherever they run: sviml's settings and the offline switches.
FORWARDED_ENV = ("SVIML_HOME", "SVIML_DB_URL", "SVIML_DATA", "SVIML_DEVICE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                 "HF_HOME", "TORCH_EXTENSIONS_DIR", "DS_ACCELERATOR", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class LaunchPlan:
    """Where a run's workers go: processes per node, nodes, this node's rank, the rendezvous."""

    nproc: int = 1  # worker processes on each node (GPUs, or CPU ranks over gloo)
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str | None = None  # node rank 0's address (several nodes)
    master_port: int | None = None
    hostfile: Path | None = None  # DeepSpeed's launcher over a hostfile instead of torchrun
    launcher: Literal["torchrun", "slurm"] = "torchrun"
    joined: bool = False  # train inside the caller's process group (the ranks of a distributed `sviml eval`)

    @property
    def world_size(self) -> int:
        """Every worker process: `nproc` on each node (each host of a hostfile)."""
        hosts = len(hostfile_hosts(self.hostfile)) if self.hostfile is not None and self.hostfile.is_file() else 1
        return self.nproc * self.nnodes * hosts

    @property
    def in_process(self) -> bool:
        return self.joined or (self.world_size == 1 and self.hostfile is None and self.launcher == "torchrun")

    def checked(self) -> LaunchPlan:
        """The plan, or a `UserError` naming the option that cannot work."""
        if self.nproc < 1 or self.nnodes < 1:
            raise UserError("--nproc and --nnodes must be >= 1")
        if not 0 <= self.node_rank < self.nnodes:
            raise UserError(f"--node-rank must be within 0..{self.nnodes - 1} for --nnodes {self.nnodes}")
        if self.nnodes > 1 and self.launcher == "torchrun" and (not self.master_addr or not self.master_port):
            raise UserError("several nodes need --master-addr and --master-port (node rank 0's address and a free "
                            "port there), or --rdzv-endpoint HOST:PORT")
        if self.hostfile is not None and (self.nnodes > 1 or self.launcher == "slurm"):
            raise UserError("--hostfile is DeepSpeed's multi-node launcher: drop --nnodes/--launcher slurm")
        if self.hostfile is not None and not self.hostfile.is_file():
            raise UserError(f"hostfile not found: {self.hostfile}")
        return self

    def with_endpoint(self, endpoint: str | None) -> LaunchPlan:
        """Apply a `--rdzv-endpoint HOST:PORT` (torchrun's spelling of the master address and port)."""
        if not endpoint:
            return self
        host, sep, port = endpoint.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise UserError(f"--rdzv-endpoint must be HOST:PORT, got {endpoint!r}")
        return replace(self, master_addr=host, master_port=int(port))


def hostfile_hosts(path: Path) -> list[str]:
    """The hosts of a DeepSpeed hostfile (`host slots=N` lines; `#` comments)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line.split()[0] for line in lines if line]


class RecipeLauncher(Protocol):
    """Creates and runs recipe runs by name (what `sviml run`, `sviml eval`'s heads and ablations use)."""

    def load_config(self, recipe: str, config: str, overrides: Mapping[str, Any]) -> RecipeConfig:
        """The recipe's named config with overrides, validated."""

    def create(self, recipe: str, config: str, overrides: Mapping[str, Any], world_size: int, *,
               name: str | None = None, parent_id: str | None = None,
               tags: Mapping[str, Any] | None = None) -> Run:
        """Validate, check readiness and register a `pending` run with its folder."""

    def execute(self, run: Run, plan: LaunchPlan = LaunchPlan(), resume: bool = False,
                show_progress: bool = True) -> int:
        """Train `run` (in this process when the plan is one process); returns an exit code (0, 1 or 130)."""


def torchrun_command(module: str, plan: LaunchPlan, run_arg: str, resume: bool, node_rank: str | None = None,
                     master_port: int | None = None) -> list[str]:
    """`python -m torch.distributed.run ... -m <module> --run-id ...` for one node of `plan`.

    `node_rank` overrides the plan's (SLURM passes a shell variable expanded on each node).
    """
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={plan.nproc}"]
    port = plan.master_port or master_port
    if plan.nnodes > 1 or plan.launcher == "slurm":
        command += [f"--nnodes={plan.nnodes}", f"--node_rank={node_rank or plan.node_rank}",
                    f"--master_addr={plan.master_addr}"]
    command += [f"--master_port={port}", "-m", module, "--run-id", run_arg]
    return command + (["--resume"] if resume else [])


def deepspeed_command(module: str, plan: LaunchPlan, run_id: str, resume: bool, master_port: int) -> list[str]:
    """DeepSpeed's launcher over `plan.hostfile` (pdsh to the hosts, each starting `nproc` ranks)."""
    command = [sys.executable, "-m", "deepspeed.launcher.runner", "--hostfile", str(plan.hostfile),
               f"--num_gpus={plan.nproc}", f"--master_port={master_port}", "--module", module, "--run-id", run_id]
    return command + (["--resume"] if resume else [])


def write_deepspeed_env(run_dir: Path, env: Mapping[str, str]) -> Path:
    """The `KEY=VALUE` lines DeepSpeed's pdsh launcher exports on every remote host (`DS_ENV_FILE`)."""
    path = run_dir / "deepspeed_env"
    lines = [f"{key}={env[key]}" for key in FORWARDED_ENV if env.get(key)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def worker_env(settings: Settings, plan: LaunchPlan, launcher: ProcessId) -> dict[str, str]:
    """This process's environment plus what every worker must see (settings, its launcher)."""
    env = dict(os.environ, SVIML_HOME=str(settings.home), SVIML_DB_URL=settings.database_url,
               **launcher_env(launcher))
    if settings.resolved_device() == "cpu":
        env.setdefault("DS_ACCELERATOR", "cpu")
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // plan.nproc)))
    return env


def spawn(command: list[str], env: dict[str, str]) -> int:
    """Run the worker command in its own session; Ctrl-C here reaches it as SIGTERM. Returns its exit code."""
    # Own session: a terminal's Ctrl-C reaches only us; we pass it on as SIGTERM, which the
    # workers turn into a final checkpoint instead of dying mid-step.
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()


def settle(run: Run, settings: Settings, code: int) -> int:
    """After the workers exited with `code`: a run they left `running` failed; the run's exit code."""
    from core.registry import Registry

    registry = Registry.from_settings(settings)
    final = registry.require_run(run.id)
    if final.status in (RunStatus.PENDING, RunStatus.RUNNING):
        registry.set_run_status(run.id, RunStatus.FAILED, error=f"worker processes exited with code {code}")
        return 1
    return exit_code(final.status)


def spawn_run(module: str, run: Run, settings: Settings, plan: LaunchPlan, resume: bool,
              launcher: ProcessId) -> int:
    """Start `run`'s workers as `plan` says (node rank 0's part, or the whole allocation under SLURM)."""
    from core.train.distributed import free_port

    env = worker_env(settings, plan, launcher)
    if plan.launcher == "slurm":
        from core.train.slurm import slurm_command

        command = slurm_command(module, plan, run.id, resume)
    elif plan.hostfile is not None:
        env["DS_ENV_FILE"] = str(write_deepspeed_env(Path(run.run_dir or "."), env))
        command = deepspeed_command(module, plan, run.id, resume, plan.master_port or free_port())
    else:
        command = torchrun_command(module, plan, run.id, resume, master_port=free_port())
    return settle(run, settings, spawn(command, env))


def relaunch_under_torchrun(settings: Settings, nproc: int, option: str) -> int:
    """Run this very command (`sys.argv`, without `option` and its value) on `nproc` ranks under
    torchrun; the ranks see torchrun's variables and form a group. Returns the exit code."""
    from core.train.distributed import free_port

    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(option + "="):
            argv.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               f"--master_port={free_port()}", "-m", "sviml_cli.rank", json.dumps(argv)]
    return spawn(command, worker_env(settings, LaunchPlan(nproc=nproc), ProcessId.this()))


def join_run(module: str, settings: Settings, plan: LaunchPlan, resume: bool, launcher: ProcessId) -> int:
    """Start this node's workers of a run that node rank 0 creates (`--node-rank R`, R > 0)."""
    command = torchrun_command(module, plan, RUN_ID_FROM_RANK0, resume)
    return spawn(command, worker_env(settings, plan, launcher))
