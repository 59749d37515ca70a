"""`sviml run ablation` end to end on the tiny study: trains, evaluates, and resumes by skipping."""

from __future__ import annotations

import json

import pytest

from core.registry import Registry
from core.settings import Settings

pytestmark = pytest.mark.slow


def test_tiny_study_trains_evaluates_and_a_rerun_skips(synth_home, sviml):
    out = sviml("run", "ablation", "--study", "tiny", "--json", timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    steps = json.loads(out.stdout)
    assert [(s["variant"], s["action"]) for s in steps] == [("contrastive", "trained"), ("full", "trained")]
    registry = Registry.from_settings(Settings())
    runs = registry.list_runs(recipe="pretrain")
    assert {r.tags["variant"] for r in runs} == {"contrastive", "full"}
    for run in runs:
        assert run.status == "finished"
        assert {r["task"] for r in registry.query_results(run_ids=[run.id])} == {"retrieval_zs"}

    again = sviml("run", "ablation", "--study", "tiny", "--json", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert [s["action"] for s in json.loads(again.stdout)] == ["skipped", "skipped"]
    some = sviml("run", "ablation", "--study", "tiny", "--variants", "full", "--json", timeout=600)
    assert some.returncode == 0, some.stderr[-3000:]
    assert [(s["variant"], s["action"]) for s in json.loads(some.stdout)] == [("full", "skipped")]
    unknown = sviml("run", "ablation", "--study", "tiny", "--variants", "nope")
    assert unknown.returncode == 2 and "no variant 'nope'" in unknown.stderr

    table = sviml("report", "--ablation", "--study", "tiny", "--format", "md")
    assert table.returncode == 0, table.stderr
    assert "contrastive" in table.stdout.lower()
    assert "| all three (S-ViLM) − contrastive only | paired | 1 | 0 |" in table.stdout  # one seed: no SE
    assert "(n=1, no SE)" in table.stdout

    paired = sviml("report", "--ablation", "--study", "tiny", "--baseline", "full", "--format", "csv")
    assert paired.returncode == 0, paired.stderr
    assert "contrastive only − all three (S-ViLM)" in paired.stdout
    wrong = sviml("report", "--ablation", "--study", "tiny", "--baseline", "nope")
    assert wrong.returncode == 2 and "no variant 'nope'" in wrong.stderr
