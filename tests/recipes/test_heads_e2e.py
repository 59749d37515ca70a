"""The four head recipes end to end on the tiny synthetic suite: CLI runs (one of them on two processes
with ZeRO-2), registration under the pre-training run, exports, and `sviml eval` reusing, training and
retraining heads, with results recorded for the pre-training run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.registry import Registry, RunStatus
from core.settings import Settings

pytestmark = pytest.mark.slow

STEPS = ["train.max_steps=2", "train.warmup_steps=1", "train.save_every=2"]
HEAD_TASKS = ("retrieval_ft", "qa", "action_ft", "tal")
# (CLI command, recipe, task, dataset, extra arguments)
RECIPE_RUNS = [
    ("finetune-retrieval", "finetune_retrieval", "retrieval_ft", "synth-msrvtt", []),
    ("finetune-qa", "finetune_qa", "qa", "synth-msvd-qa", ["--nproc", "2", "train.zero_stage=2"]),
    ("finetune-action", "finetune_action", "action_ft", "synth-hmdb", []),
    ("train-localizer", "train_localizer", "tal", "synth-anet", []),
]


def _pretrain_run(registry: Registry):
    runs = registry.list_runs(recipe="pretrain")
    assert len(runs) == 1
    return runs[0]


def _eval(sviml, *args: str) -> dict:
    out = sviml("eval", *args, "--views", "1", "--head-steps", "2", "--json", timeout=1500)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout)


def test_recipes_from_the_cli_register_head_runs_that_eval_reuses(trained_home, sviml):
    from core.eval.score import score_tal_files
    from core.heads.export import load_task_model

    registry = Registry.from_settings(Settings())
    parent = _pretrain_run(registry)
    trained = {}
    for command, recipe, task, dataset, extra in RECIPE_RUNS:
        out = sviml("run", command, "--recipe", "tiny", f"data.dataset={dataset}", *STEPS, *extra, "--name", command,
                    timeout=900)
        assert out.returncode == 0, out.stderr[-4000:]
        run = next(r for r in registry.list_runs(recipe=recipe) if r.name == command)
        assert run.status == "finished" and run.step == 2 and run.parent_id == parent.id
        assert run.tags["dataset"] == dataset and run.config["init"]["run"] == parent.id
        exports = registry.list_checkpoints(run.id, kind="export", complete_only=True)
        assert len(exports) == 1 and registry.list_checkpoints(run.id, kind="deepspeed", complete_only=True)
        if task != "retrieval_ft":
            module, config = load_task_model(exports[0].path)
            assert config["parent_id"] == parent.id and config["dataset"] == dataset
        trained[(task, dataset)] = run.id
    qa_run = registry.get_run(trained[("qa", "synth-msvd-qa")])
    assert qa_run.world_size == 2

    summary = _eval(sviml, *(arg for task in HEAD_TASKS for arg in ("--task", task)))
    statuses = {(t["task"], t["dataset"]): t["status"] for t in summary["tasks"]}
    assert statuses == {("retrieval_ft", "synth-msrvtt"): "ok", ("qa", "synth-msrvtt-qa"): "ok",
                        ("qa", "synth-msvd-qa"): "ok", ("action_ft", "synth-hmdb"): "ok",
                        ("action_ft", "synth-ucf"): "ok", ("tal", "synth-anet"): "ok"}
    rows = registry.query_results(run_ids=[parent.id])
    head_runs = {(r["task"], r["dataset"]): r["protocol"]["head_run"] for r in rows}
    for key, run_id in trained.items():
        assert head_runs[key] == run_id, key  # reused, not retrained
    for key in (("qa", "synth-msrvtt-qa"), ("action_ft", "synth-ucf")):  # no head yet: trained in process
        new = registry.get_run(head_runs[key])
        assert new.parent_id == parent.id and new.config_name == "tiny" and new.step == 2
    by_metric = {(r["task"], r["dataset"], r["metric"]): r for r in rows}
    acc = by_metric[("qa", "synth-msvd-qa", "acc")]
    assert 0 <= acc["value"] <= 100 and acc["protocol"]["chance"] is not None
    assert acc["protocol"]["dataset_kind"] == "msvd-qa" and acc["protocol"]["head"]
    tal_protocol = by_metric[("tal", "synth-anet", "avg_mAP")]["protocol"]
    assert tal_protocol["head_run"] == trained[("tal", "synth-anet")] and tal_protocol["descriptor"] == "motion"
    localizer = registry.get_run(trained[("tal", "synth-anet")])
    head_export = json.loads((Path(localizer.run_dir) / "export" / "config.json").read_text())
    assert head_export["in_width"] == 2 * parent.config["model"]["video"]["width"]  # appearance ; change

    eval_dir = Path(parent.run_dir) / "eval"
    predictions = eval_dir / "tal_synth-anet_predictions.json"
    gt = Path(registry.get_dataset("synth-anet").root) / "activity_net.v1-3.min.json"
    scores = score_tal_files(gt, predictions, "validation")
    tal = json.loads((eval_dir / "tal.json").read_text())["datasets"]["synth-anet"]
    assert scores["average_mAP"] == pytest.approx(tal["metrics"]["avg_mAP"])
    assert set(tal["details"]["pr"]) == {f"{t / 100:.2f}" for t in range(50, 100, 5)}
    retrieval = json.loads((eval_dir / "retrieval_ft.json").read_text())["datasets"]["synth-msrvtt"]
    assert len(retrieval["details"]["ranks_t2v"]) == retrieval["n"]


def test_eval_all_trains_missing_heads_and_retrains_on_request(trained_home, sviml):
    registry = Registry.from_settings(Settings())
    parent = _pretrain_run(registry)
    summary = _eval(sviml, "--all")
    assert all(t["status"] in ("ok", "skipped") for t in summary["tasks"]), summary["tasks"]
    done = {(t["task"], t["dataset"]) for t in summary["tasks"] if t["status"] == "ok"}
    assert {("retrieval_zs", "synth-msrvtt"), ("retrieval_ft", "synth-msrvtt"), ("qa", "synth-msrvtt-qa"),
            ("action_ft", "synth-ucf"), ("tal", "synth-anet")} <= done
    heads = [r for r in registry.list_runs() if r.recipe != "pretrain"]
    assert len(heads) == 6 and all(r.parent_id == parent.id and r.status == "finished" for r in heads)

    again = _eval(sviml, "--task", "qa")  # finished heads of this checkpoint are reused
    assert [t["status"] for t in again["tasks"]] == ["ok", "ok"]
    assert len([r for r in registry.list_runs() if r.recipe != "pretrain"]) == 6
    _eval(sviml, "--task", "qa", "--retrain-heads")
    assert len(registry.list_runs(recipe="finetune_qa")) == 4


def test_a_resumed_head_run_ends_with_the_uninterrupted_weights(trained_home, sviml):
    """Resume from the middle checkpoint of a finished run (its last checkpoint and export dropped, as if
    it had been killed there): the exported weights must equal the uninterrupted run's."""
    import shutil

    import torch
    from safetensors.torch import load_file

    registry = Registry.from_settings(Settings())
    args = ["--recipe", "tiny", "data.dataset=synth-ucf", "train.max_steps=4", "train.save_every=2"]
    out = sviml("run", "finetune-action", *args, "--name", "straight", timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    run = registry.list_runs(recipe="finetune_action")[0]
    export = registry.list_checkpoints(run.id, kind="export")[0]
    expected = load_file(str(Path(export.path) / "model.safetensors"))

    last = registry.newest_checkpoint(run.id)
    assert last.step == 4
    registry.remove_checkpoints([last.id, export.id])
    shutil.rmtree(last.path)
    shutil.rmtree(export.path)
    registry.set_run_status(run.id, RunStatus.INTERRUPTED)
    registry.beat(run.id, step=2)
    out = sviml("run", "finetune-action", "--recipe", "tiny", "--resume", run.id, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    assert registry.get_run(run.id).status == "finished"
    export = registry.list_checkpoints(run.id, kind="export")[0]
    got = load_file(str(Path(export.path) / "model.safetensors"))
    assert got.keys() == expected.keys()
    for key in expected:
        assert torch.equal(got[key], expected[key]), key


def test_head_recipes_refuse_wrong_datasets_and_missing_weights(synth_home, sviml):
    out = sviml("run", "finetune-qa", "--recipe", "tiny")
    assert out.returncode == 2 and "no finished pretrain run" in out.stderr
    out = sviml("run", "finetune-action", "--recipe", "tiny", "data.dataset=synth-msrvtt", "init.run=nope")
    assert out.returncode == 2 and "needs a ucf101 or hmdb51 dataset" in out.stderr
    out = sviml("run", "train-localizer", "--recipe", "tiny", "head.levels=9")
    assert out.returncode == 2 and "head.levels" in out.stderr
    assert Registry.from_settings(Settings()).list_runs() == []
