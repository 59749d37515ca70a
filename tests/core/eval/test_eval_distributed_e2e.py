"""`sviml eval --nproc 2`: each rank encodes a share of every dataset, and the numbers are those of one
process; task heads train on both ranks together."""

from __future__ import annotations

import json

import pytest

from core.registry import Registry, RunStatus
from core.settings import Settings

pytestmark = pytest.mark.slow


def _metrics(out) -> dict[tuple[str, str], dict[str, float]]:
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert all(task["status"] in ("ok", "skipped") for task in report["tasks"]), report
    return {(task["task"], task["dataset"]): task["metrics"] for task in report["tasks"] if task["status"] == "ok"}


def test_two_ranks_give_the_numbers_of_one(trained_home, sviml):
    one = _metrics(sviml("eval", "--json", "--views", "1", "--head-steps", "2", timeout=1800))
    assert {task for task, _ in one} >= {"retrieval_zs", "action_linear", "grounding", "temporal_grouping",
                                         "retrieval_ft", "qa", "action_ft", "tal"}
    # The second evaluation reuses the heads the first trained: every number must come out the same.
    two = _metrics(sviml("eval", "--json", "--views", "1", "--head-steps", "2", "--nproc", "2", timeout=1800))
    assert two == one


def test_heads_train_on_every_rank(trained_home, sviml):
    out = sviml("eval", "--task", "qa", "--json", "--views", "1", "--head-steps", "2", "--retrain-heads",
                "--nproc", "2", timeout=1800)
    assert _metrics(out)
    registry = Registry.from_settings(Settings())
    heads = registry.list_runs(recipe="finetune_qa")
    assert heads and all(r.status == RunStatus.FINISHED and r.world_size == 2 for r in heads)
