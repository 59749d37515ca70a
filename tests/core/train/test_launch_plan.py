"""Launch plans and the commands they become: torchrun per node, SLURM through srun, DeepSpeed's
hostfile launcher with sviml's settings forwarded to remote ranks."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from core.errors import UserError
from core.train.launch import FORWARDED_ENV, LaunchPlan, torchrun_command, write_deepspeed_env
from core.train.lifecycle import RUN_ID_FROM_RANK0
from core.train.slurm import expand_nodelist, gpus_on_node, slurm_command, slurm_plan


def test_plan_world_size_and_checks(tmp_path):
    assert LaunchPlan().in_process and LaunchPlan().world_size == 1
    plan = LaunchPlan(nproc=4, nnodes=2, node_rank=1, master_addr="n0", master_port=29500).checked()
    assert plan.world_size == 8 and not plan.in_process
    for bad, message in [(LaunchPlan(nproc=0), "--nproc"), (LaunchPlan(nnodes=2, node_rank=2), "--node-rank"),
                         (LaunchPlan(nnodes=2), "--master-addr"),
                         (LaunchPlan(hostfile=tmp_path / "nope"), "hostfile not found")]:
        with pytest.raises(UserError, match=message):
            bad.checked()
    assert LaunchPlan().with_endpoint("node0:1234") == LaunchPlan(master_addr="node0", master_port=1234)
    with pytest.raises(UserError, match="HOST:PORT"):
        LaunchPlan().with_endpoint("node0")


def test_torchrun_command_for_one_node_and_for_node_rank_one():
    one = torchrun_command("recipes.pretrain", LaunchPlan(nproc=2), "RUN", resume=False, master_port=4000)
    assert one[1:] == ["-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=4000", "-m",
                       "recipes.pretrain", "--run-id", "RUN"]
    plan = LaunchPlan(nproc=8, nnodes=2, node_rank=1, master_addr="n0", master_port=29500)
    other = torchrun_command("recipes.pretrain", plan, RUN_ID_FROM_RANK0, resume=True)
    assert "--nnodes=2" in other and "--node_rank=1" in other and "--master_addr=n0" in other
    assert other[-3:] == ["--run-id", RUN_ID_FROM_RANK0, "--resume"] and "--master_port=29500" in other


@pytest.mark.parametrize(("text", "hosts"), [
    ("gpu[01-03,07],big7", ["gpu01", "gpu02", "gpu03", "gpu07", "big7"]),
    ("node1", ["node1"]),
    ("a[8-10]-ib", ["a8-ib", "a9-ib", "a10-ib"]),
    ("r[1-2]n[01-02]", ["r1n01", "r1n02", "r2n01", "r2n02"]),
])
def test_slurm_nodelists_expand(text, hosts):
    assert expand_nodelist(text) == hosts


def test_slurm_gpu_counts():
    assert gpus_on_node({"SLURM_GPUS_ON_NODE": "8"}) == 8
    assert gpus_on_node({"SLURM_GPUS_PER_NODE": "a100:4"}) == 4
    assert gpus_on_node({}) is None


def test_slurm_plan_and_srun_command_from_the_allocation():
    environ = {"SLURM_JOB_NODELIST": "gpu[01-02]", "SLURM_NNODES": "2", "SLURM_GPUS_ON_NODE": "8",
               "SLURM_JOB_ID": "4242"}
    plan = slurm_plan(LaunchPlan(), environ, nproc_given=False)
    assert (plan.nnodes, plan.nproc, plan.master_addr, plan.world_size) == (2, 8, "gpu01", 16)
    assert plan.master_port == 29500 + 4242 % 2000  # not this host: derived from the job id, alike on all nodes
    assert slurm_plan(LaunchPlan(nproc=2), environ, nproc_given=True).nproc == 2
    command = slurm_command("recipes.pretrain", plan, "RUN", resume=False)
    assert command[:7] == ["srun", "--nodes=2", "--ntasks=2", "--ntasks-per-node=1", "--kill-on-bad-exit=1",
                           "--export=ALL", "bash"]
    script = command[-1]
    assert script.startswith("exec ") and '--node_rank="$SLURM_PROCID"' in script
    words = shlex.split(script)  # what bash sees (before it expands the node rank)
    assert "--nproc_per_node=8" in words and "--master_addr=gpu01" in words and words[-2:] == ["--run-id", "RUN"]
    with pytest.raises(UserError, match="inside a SLURM allocation"):
        slurm_plan(LaunchPlan(), {}, nproc_given=False)


def test_deepspeed_env_file_forwards_the_settings(tmp_path: Path):
    env = {"SVIML_HOME": "/shared/home", "SVIML_DB_URL": "postgresql://db/sviml", "HF_HUB_OFFLINE": "1",
           "SECRET": "not forwarded"}
    path = write_deepspeed_env(tmp_path, env)
    lines = path.read_text().splitlines()
    assert lines == ["SVIML_HOME=/shared/home", "SVIML_DB_URL=postgresql://db/sviml", "HF_HUB_OFFLINE=1"]
    assert all(line.split("=", 1)[0] in FORWARDED_ENV for line in lines)
