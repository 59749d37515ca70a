"""`sviml run ... --launcher slurm`: one torchrun per node of a SLURM allocation, started through `srun`.

Run once inside the allocation (an `sbatch` script or `salloc` shell; SLURM runs the batch script on
the allocation's first node). The plan comes from SLURM's variables: the nodes from
`SLURM_JOB_NODELIST` (compressed, e.g. `gpu[01-04],big7`) and `SLURM_NNODES`, the processes per
node from `--nproc` or `SLURM_GPUS_ON_NODE` (1 on a CPU allocation), the rendezvous on the first
node. `srun` starts one task per node; each task expands its own `$SLURM_PROCID` into torchrun's
`--node_rank`, so every node joins one static rendezvous. docs/cluster.md has a complete sbatch
script.
"""

from __future__ import annotations

import re
import shlex
import socket
from collections.abc import Mapping
from dataclasses import replace

from core.errors import UserError
from core.train.launch import LaunchPlan, torchrun_command

NODE_RANK_VARIABLE = "SLURM_PROCID"  # one task per node: the task's rank is its node's rank


def expand_nodelist(text: str) -> list[str]:
    """`gpu[01-03,07],big7` -> `[gpu01, gpu02, gpu03, gpu07, big7]` (SLURM's compressed host lists)."""
    hosts: list[str] = []
    for group in re.findall(r"[^,\[]+(?:\[[^\]]*\][^,\[]*)*", text.strip()):
        hosts += _expand_group(group)
    if not hosts:
        raise UserError(f"SLURM_JOB_NODELIST {text!r} names no host")
    return hosts


def _expand_group(group: str) -> list[str]:
    match = re.fullmatch(r"([^\[]*)\[([^\]]*)\](.*)", group)
    if match is None:
        return [group]
    prefix, ranges, rest = match.groups()
    names = []
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise UserError(f"cannot read the host range [{ranges}] of SLURM_JOB_NODELIST")
        for number in range(int(low), int(high or low) + 1):
            names.append(f"{prefix}{number:0{len(low)}d}")
    return [name + tail for name in names for tail in _expand_group(rest)] if rest else names


def gpus_on_node(environ: Mapping[str, str]) -> int | None:
    """SLURM's count of GPUs per node (`8`, `gpu:8`, `a100:4`), or None on a CPU allocation."""
    for key in ("SLURM_GPUS_ON_NODE", "SLURM_GPUS_PER_NODE"):
        value = environ.get(key, "").strip()
        if value:
            count = value.rsplit(":", 1)[-1].split("(")[0]
            if count.isdigit():
                return int(count)
    return None


def slurm_plan(plan: LaunchPlan, environ: Mapping[str, str], nproc_given: bool) -> LaunchPlan:
    """The allocation's plan: its nodes, processes per node, the first node as rendezvous."""
    nodelist = environ.get("SLURM_JOB_NODELIST") or environ.get("SLURM_NODELIST")
    if not nodelist:
        raise UserError("--launcher slurm runs inside a SLURM allocation (sbatch or salloc): SLURM_JOB_NODELIST "
                        "is not set")
    hosts = expand_nodelist(nodelist)
    nnodes = int(environ.get("SLURM_NNODES") or len(hosts))
    nproc = plan.nproc if nproc_given else (gpus_on_node(environ) or 1)
    port = plan.master_port or _rendezvous_port(hosts[0], environ)
    return replace(plan, launcher="slurm", nnodes=nnodes, nproc=nproc, node_rank=0,
                   master_addr=plan.master_addr or hosts[0], master_port=port)


def _rendezvous_port(master: str, environ: Mapping[str, str]) -> int:
    """A free port when the rendezvous node is this one (where sbatch runs the script), else one
    derived from the job id, the same on every node."""
    from core.train.distributed import free_port

    if master in (socket.gethostname(), socket.gethostname().split(".")[0], "localhost", "127.0.0.1"):
        return free_port()
    return 29500 + int(environ.get("SLURM_JOB_ID", "0")) % 2000


def slurm_command(module: str, plan: LaunchPlan, run_id: str, resume: bool) -> list[str]:
    """`srun ... bash -c 'exec python -m torch.distributed.run --node_rank=$SLURM_PROCID ...'`."""
    sentinel = "@NODE_RANK@"
    torchrun = torchrun_command(module, plan, run_id, resume, node_rank=sentinel)
    script = "exec " + shlex.join(torchrun).replace(sentinel, f'"${NODE_RANK_VARIABLE}"')
    return ["srun", f"--nodes={plan.nnodes}", f"--ntasks={plan.nnodes}", "--ntasks-per-node=1",
            "--kill-on-bad-exit=1", "--export=ALL", "bash", "-c", script]
