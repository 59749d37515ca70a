"""The registry's query API against SQLite (always) and PostgreSQL (where installed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import UserError
from core.registry import Dataset, Registry, Run, RunStatus, open_reader, shown_status
from core.registry.schema import RunFilter
from core.registry.sqlite_read import SqliteReader
from core.registry.tables import utcnow


@pytest.fixture(params=["sqlite", "postgresql"])
def any_registry(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reg.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    reg = Registry(url)
    yield reg
    reg.close()


def test_dataset_roundtrip_and_reregistration(any_registry: Registry):
    reg = any_registry
    reg.save_dataset(Dataset(name="msrvtt", kind="msrvtt", root="/d", counts={"train": 9000, "test": 1000}))
    reg.save_dataset(Dataset(name="ucf", kind="ucf101", root="/u", problems=["missing video v1"], status="problems"))
    assert [d.name for d in reg.list_datasets()] == ["msrvtt", "ucf"]
    # Registering the same name again replaces the row instead of failing or duplicating.
    reg.save_dataset(Dataset(name="msrvtt", kind="msrvtt", root="/other", counts={"test": 1000}))
    got = reg.get_dataset("msrvtt")
    assert got.root == "/other" and got.counts == {"test": 1000}
    assert len(reg.list_datasets()) == 2
    assert reg.remove_dataset("ucf") is True
    assert reg.remove_dataset("ucf") is False
    with pytest.raises(UserError, match="no dataset named 'ucf'"):
        reg.require_dataset("ucf")


def test_run_lifecycle_checkpoints_and_results(any_registry: Registry):
    reg = any_registry
    run = reg.create_run(Run(recipe="pretrain", config_name="tiny", config={"train": {"lr": 1e-3}}, seed=3))
    assert reg.get_run(run.id).status == "pending"
    reg.set_run_status(run.id, RunStatus.RUNNING, world_size=2)
    reg.beat(run.id, step=4, metrics={"loss": 1.5})
    got = reg.get_run(run.id)
    assert (got.step, got.last_metrics, got.config) == (4, {"loss": 1.5}, {"train": {"lr": 1e-3}})
    assert got.status == RunStatus.RUNNING == "running" and got.world_size == 2
    assert got.started is not None and got.ended is None
    with pytest.raises(ValueError):
        reg.set_run_status(run.id, "exploded")

    first = reg.add_checkpoint(run_id=run.id, tag="step_0000002", step=2, path="/c/2", complete=True)
    reg.add_checkpoint(run_id=run.id, tag="step_0000004", step=4, path="/c/4", complete=False)
    assert reg.newest_checkpoint(run.id).tag == "step_0000002"  # an incomplete one never counts
    reg.add_results(
        [
            {"run_id": run.id, "checkpoint_id": first.id, "task": "retrieval", "dataset": "synth-msrvtt",
             "split": "test", "metric": "t2v_R@1", "value": 12.5, "n": 100, "protocol": {"frames": 8}},
        ]
    )
    reg.remove_checkpoints([first.id])
    rows = reg.query_results(run_ids=[run.id])
    assert rows[0]["checkpoint_id"] is None and rows[0]["value"] == 12.5 and rows[0]["protocol"] == {"frames": 8}
    assert [c.tag for c in reg.list_checkpoints(run.id)] == ["step_0000004"]

    reg.replace_results(run.id, "retrieval", "synth-msrvtt", [
        {"run_id": run.id, "task": "retrieval", "dataset": "synth-msrvtt", "split": "test",
         "metric": "t2v_R@1", "value": 20.0},
    ])
    assert [r["value"] for r in reg.query_results(tasks=["retrieval"])] == [20.0]
    reg.set_run_status(run.id, RunStatus.FAILED, error="boom")
    assert (reg.get_run(run.id).status, reg.get_run(run.id).error) == ("failed", "boom")
    reg.set_run_status(run.id, RunStatus.FINISHED)
    ended = reg.get_run(run.id)
    assert ended.error is None and ended.ended >= ended.started
    assert reg.newest_run("pretrain").id == run.id
    assert reg.newest_run("pretrain", statuses=("running",)) is None


def test_list_runs_orders_newest_first_and_filters(any_registry: Registry):
    reg = any_registry
    now = utcnow()
    for i in range(5):
        reg.create_run(Run(id=f"r{i}", recipe="pretrain" if i % 2 else "finetune_qa", config_name="tiny",
                       created=now + timedelta(seconds=i), status="finished" if i < 3 else "running"))
    assert [r.id for r in reg.list_runs()] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r.id for r in reg.list_runs(recipe="pretrain")] == ["r3", "r1"]
    assert [r.id for r in reg.list_runs(status="running")] == ["r4", "r3"]
    assert [r.id for r in reg.list_runs(limit=2)] == ["r4", "r3"]


def test_running_run_without_heartbeat_is_stale():
    now = utcnow()
    old = now - timedelta(hours=1)
    alive = {"status": "running", "heartbeat": now, "created": old}
    dead = {"status": "running", "heartbeat": old, "created": old}
    never_beat = {"status": "running", "heartbeat": None, "started": None, "created": old}
    done = {"status": "finished", "heartbeat": old, "created": old}
    assert [shown_status(r, now) for r in (alive, dead, never_beat, done)] == ["running", "stale", "stale", "finished"]


def test_fast_sqlite_reader_matches_the_registry(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    reg = Registry(url)
    now = utcnow()
    for i in range(4):
        run = reg.create_run(Run(recipe="pretrain" if i % 2 else "eval", config_name="tiny", created=now + timedelta(seconds=i),
                             tags={"i": i}, last_metrics={"loss": 1.0 / (i + 1)}, status="running", heartbeat=now))
        reg.add_results([{"run_id": run.id, "task": "qa", "dataset": f"d{i}", "split": "test", "metric": "acc",
                          "value": i / 3, "protocol": {"views": i}}])
    fast = open_reader(url)
    assert isinstance(fast, SqliteReader)
    for kwargs in ({}, {"recipe": "pretrain"}, {"status": "running", "limit": 3}, {"name_like": "%"}):
        assert fast.run_records(RunFilter(**kwargs)) == reg.run_records(RunFilter(**kwargs))
    assert fast.query_results() == reg.query_results()
    ids = [r["id"] for r in reg.run_records()][:3]
    assert fast.run_details(ids) == reg.run_details(ids) and len(reg.run_details(ids)) == 3
    assert fast.query_results(tasks=["qa"], datasets=["d1", "d2"]) == reg.query_results(tasks=["qa"], datasets=["d1", "d2"])
    # Without a file yet, the reader is the Registry itself (which creates it).
    assert isinstance(open_reader(f"sqlite:///{tmp_path / 'new.db'}"), Registry)


def test_checkpoint_needs_an_existing_run(any_registry: Registry):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        any_registry.add_checkpoint(run_id="nope", tag="t", step=1, path="/x")
