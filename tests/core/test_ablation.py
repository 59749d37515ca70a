"""Ablation studies: study files, the plan, and resuming a study by its runs' tags."""

from __future__ import annotations

import pytest

from core.ablation import (
    evaluated_tasks,
    find_run,
    load_study,
    overrides_for,
    study_names,
    tasks_by_head_steps,
    validate_study,
)
from core.errors import UserError
from core.registry import Run
from recipes import STUDY_DIR
from recipes.launch import Launcher


@pytest.fixture
def launcher(settings, registry) -> Launcher:
    return Launcher(settings, registry)


def test_every_study_file_loads_and_validates(launcher):
    assert {"small", "tiny"} <= set(study_names(STUDY_DIR))
    for name in study_names(STUDY_DIR):
        study = load_study(name, STUDY_DIR)
        validate_study(study, launcher)
        assert len(study.plan()) == len(study.seeds) * len(study.variants)


def test_small_study_is_the_papers_table_6():
    study = load_study("small", STUDY_DIR)
    assert set(study.variants) == {"contrastive", "+ground", "+temporal", "full"}
    assert len(study.seeds) >= 3
    weights = {v: overrides_for(study, v, 0) for v in study.variants}
    assert weights["contrastive"]["loss.w_ground"] == 0 and weights["contrastive"]["loss.w_temporal"] == 0
    assert "loss.w_ground" not in weights["full"] and weights["full"]["train.seed"] == 0


def test_an_unknown_study_name_is_a_user_error():
    with pytest.raises(UserError, match="no ablation study"):
        load_study("nope", STUDY_DIR)


@pytest.mark.parametrize(("text", "message"), [
    ("study: x\nvariants: {a: {loss.nope: 1}}\n", "nope"),
    ("study: x\nvariants: {}\n", "variants"),
    ("study: x\nseeds: [a]\nvariants: {a: {}}\n", "seeds"),
    ("variants: {a: {}}\neval: {tasks: [nope]}\n", "unknown task 'nope'"),
    ("variants: {a: {}}\neval: {head_steps: {nope: 5}}\n", "unknown task 'nope'"),
    ("variants: {a: {}}\neval: {head_steps: {qa: 0}}\n", "at least 1"),
])
def test_bad_study_files_are_user_errors(tmp_path, launcher, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(UserError, match=message):  # when loading or, for configs and tasks, validating
        validate_study(load_study(str(bad), STUDY_DIR), launcher)


def test_a_study_can_run_some_variants_first_with_the_same_runs():
    study = load_study("small", STUDY_DIR)
    first = study.only(["full", "contrastive"])
    assert list(first.variants) == ["contrastive", "full"]  # the file's order, not the argument's
    assert first.name == study.name and first.seeds == study.seeds
    assert first.plan() == [(v, s) for s in study.seeds for v in ("contrastive", "full")]
    for variant, seed in first.plan():  # same overrides, so the whole study later finds these runs
        assert overrides_for(first, variant, seed) == overrides_for(study, variant, seed)
    with pytest.raises(UserError, match="no variant 'nope'"):
        study.only(["full", "nope"])


def test_runs_are_found_by_their_tags(registry):
    study = load_study("tiny", STUDY_DIR)
    registry.create_run(Run(recipe="pretrain", config_name="tiny", tags={"ablation": "tiny", "variant": "full", "seed": 0}))
    registry.create_run(Run(recipe="pretrain", config_name="tiny", tags={"ablation": "other", "variant": "full", "seed": 0}))
    found = find_run(registry, study, "full", 0)
    assert found is not None and found.tags["ablation"] == "tiny"
    assert find_run(registry, study, "contrastive", 0) is None


def test_head_steps_are_one_count_or_per_task(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("variants: {a: {}}\neval: {head_steps: {qa: 80, tal: 400}}\n")
    per_task = load_study(str(path), STUDY_DIR)
    assert (per_task.eval.steps_for("qa"), per_task.eval.steps_for("tal"), per_task.eval.steps_for("action")) == (80, 400, None)
    assert tasks_by_head_steps(per_task, ["qa", "retrieval_zs", "tal", "grounding"]) == [
        (80, ["qa"]), (None, ["retrieval_zs", "grounding"]), (400, ["tal"])]
    path.write_text("variants: {a: {}}\neval: {head_steps: 80}\n")
    one = load_study(str(path), STUDY_DIR)
    assert one.eval.steps_for("tal") == 80
    assert tasks_by_head_steps(one, ["qa", "tal"]) == [(80, ["qa", "tal"])]
    assert tasks_by_head_steps(one, None) == [(80, None)]  # every registered task, one call


def test_a_head_task_measured_with_other_steps_is_evaluated_again(registry):
    # The Table 6 study first evaluated TAL with 80-step localizers; its file now asks for 400, so the
    # same command must re-evaluate TAL on those runs (and only TAL).
    study = load_study("table6", STUDY_DIR)
    run = registry.create_run(Run(recipe="pretrain", config_name="small"))

    def result(task: str, head_steps: int | None) -> dict:
        protocol = {} if head_steps is None else {"head_steps": head_steps}
        return {"run_id": run.id, "task": task, "dataset": "d", "split": "test", "metric": "m", "value": 1.0,
                "protocol": protocol}

    registry.add_results([result("retrieval_zs", None), result("qa", 80), result("tal", 80)])
    assert evaluated_tasks(registry, study, run.id) == {"retrieval_zs", "qa"}
    registry.replace_results(run.id, "tal", "d", [result("tal", 400)])
    assert evaluated_tasks(registry, study, run.id) == {"retrieval_zs", "qa", "tal"}
