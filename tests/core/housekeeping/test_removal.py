"""`sviml runs rm`: what goes, what never goes, what is refused, and a deletion killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from core.errors import UserError
from core.housekeeping.gc import PENDING, apply_gc, plan_gc
from core.housekeeping.removal import execute_removal, plan_removal
from core.registry import Dataset, Run
from core.registry.tables import utcnow
from tests.conftest import REPO
from tests.core.housekeeping.homes import add_checkpoint, add_export, cache_features, make_run


def _result(run_id: str, checkpoint_id: int | None, value: float = 1.0) -> dict:
    return {"run_id": run_id, "checkpoint_id": checkpoint_id, "task": "qa", "dataset": "d", "split": "test",
            "metric": "acc", "value": value}


def test_rm_removes_folder_caches_and_rows_and_nothing_else(registry, settings):
    run_dir = make_run(registry, settings, "gone")
    add_checkpoint(registry, run_dir, "gone", 5)
    export = add_export(registry, run_dir, "gone")
    entry = cache_features(settings, export)
    keep_dir = make_run(registry, settings, "kept")
    kept_export = add_export(registry, keep_dir, "kept")
    kept_entry = cache_features(settings, kept_export)
    gone_export = registry.list_checkpoints("gone", kind="export")[0]
    registry.add_results([_result("gone", gone_export.id), _result("kept", gone_export.id, 2.0)])
    registry.add_note("gone", "bad lr")

    plan = plan_removal(registry, settings, ["gone"])
    [removal] = plan.removals
    assert [path for path, _ in removal.paths] == [run_dir, entry.parent]
    assert removal.rows == {"checkpoints": 2, "results": 1, "notes": 1}
    assert plan.bytes == sum(size for _, size in removal.paths) > 1300  # checkpoint + export + cache entry
    assert execute_removal(registry, settings, plan) == plan.bytes

    assert not run_dir.exists() and not entry.parent.exists()
    assert registry.get_run("gone") is None and registry.list_checkpoints("gone") == []
    assert registry.notes(["gone"]) == {} and registry.pending_deletions() == []
    # The other run keeps its folder, its cache and its number (which no longer names a checkpoint).
    assert keep_dir.is_dir() and kept_entry.is_file()
    [kept_result] = registry.query_results()
    assert (kept_result["run_id"], kept_result["value"], kept_result["checkpoint_id"]) == ("kept", 2.0, None)
    log = settings.deletion_log.read_text()
    assert "deleted run gone" in log and f"removed files of run gone: {run_dir}" in log


def test_rm_refuses_live_runs_dependents_and_unknown_ids(registry, settings):
    make_run(registry, settings, "live", status="running", heartbeat=utcnow())
    make_run(registry, settings, "dead", status="running", heartbeat=utcnow() - timedelta(hours=1))
    make_run(registry, settings, "parent")
    make_run(registry, settings, "head", recipe="finetune_qa", parent_id="parent")
    make_run(registry, settings, "starting", status="pending", created=utcnow())
    with pytest.raises(UserError, match=r"run live is running on node1 .*SIGTERM"):
        plan_removal(registry, settings, ["live"])
    with pytest.raises(UserError, match="run starting is starting"):
        plan_removal(registry, settings, ["starting"])
    with pytest.raises(UserError, match=r"1 dependent run\(s\) \(its task heads: head\).*--recursive"):
        plan_removal(registry, settings, ["parent"])
    with pytest.raises(UserError, match="no run with id 'nope'"):
        plan_removal(registry, settings, ["dead", "nope"])
    assert {r.id for r in registry.list_runs()} == {"live", "dead", "parent", "head", "starting"}
    # A stale run (its process died) can go; naming the head too, or --recursive, takes the pair.
    assert [r.run.id for r in plan_removal(registry, settings, ["dead"]).removals] == ["dead"]
    assert [r.run.id for r in plan_removal(registry, settings, ["parent", "head"]).removals] == ["head", "parent"]
    plan = plan_removal(registry, settings, ["parent"], recursive=True)
    assert [r.run.id for r in plan.removals] == ["head", "parent"]
    execute_removal(registry, settings, plan)
    assert {r.id for r in registry.list_runs()} == {"live", "dead", "starting"}


def test_rm_never_deletes_what_is_not_the_runs_own(registry, settings, tmp_path):
    # An `external` run's export is the user's folder: rows go, the folder stays.
    user_folder = tmp_path / "my-model"
    user_folder.mkdir()
    (user_folder / "model.safetensors").write_bytes(b"w")
    registry.create_run(Run(id="ext", recipe="external", config_name="my-model", status="finished",
                            run_dir=str(settings.run_dir("ext"))))
    registry.add_checkpoint(run_id="ext", tag="export", step=0, path=str(user_folder), kind="export", complete=True)
    execute_removal(registry, settings, plan_removal(registry, settings, ["ext"]))
    assert (user_folder / "model.safetensors").is_file() and registry.get_run("ext") is None
    # A folder that overlaps a registered dataset is refused outright.
    run_dir = make_run(registry, settings, "odd")
    registry.save_dataset(Dataset(name="inside", kind="msrvtt", root=str(run_dir / "data")))
    with pytest.raises(UserError, match="overlaps dataset inside"):
        plan_removal(registry, settings, ["odd"])
    assert run_dir.is_dir()


def test_keep_export_moves_the_weights_out(registry, settings):
    run_dir = make_run(registry, settings, "r")
    export = add_export(registry, run_dir, "r")
    plan = plan_removal(registry, settings, ["r"], keep_export=True)
    target = settings.exports_dir / "r"
    assert plan.removals[0].keep_export == (export, target)
    execute_removal(registry, settings, plan)
    assert (target / "model.safetensors").read_bytes() == b"w" * 300 and not run_dir.exists()
    make_run(registry, settings, "r2")
    (settings.run_dir("r2") / "export").mkdir()
    settings.exports_dir.joinpath("r2").mkdir()
    with pytest.raises(UserError, match="already exists"):
        plan_removal(registry, settings, ["r2"], keep_export=True)


# `sviml runs rm --yes ID`, killed (SIGKILL, as a power cut) at a chosen point.
KILLED_RM = """
import os, signal, sys
point = sys.argv[1]
if point == "in-transaction":  # after the DELETEs ran, before the commit
    from sqlmodel import Session
    from core.registry.tables import PendingDeletion
    original_add = Session.add
    def add(self, obj, *args, **kwargs):
        if isinstance(obj, PendingDeletion):
            os.kill(os.getpid(), signal.SIGKILL)
        return original_add(self, obj, *args, **kwargs)
    Session.add = add
else:  # after the commit, with the run's folder half removed
    import core.housekeeping.removal as removal
    def remove_then_die(path):
        next(p for p in sorted(path.rglob("*")) if p.is_file()).unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    removal.remove_path = remove_then_die
from sviml_cli.main import main
sys.exit(main(["runs", "rm", "--yes", sys.argv[2]]))
"""


def _killed_rm(home, point: str, run_id: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SVIML_HOME=str(home))
    return subprocess.run([sys.executable, "-c", KILLED_RM, point, run_id], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def doomed(registry, settings):
    run_dir = make_run(registry, settings, "doomed")
    for step in (5, 10):
        add_checkpoint(registry, run_dir, "doomed", step)
    registry.add_results([_result("doomed", None)])
    return run_dir


def test_rm_killed_before_its_commit_leaves_the_run_whole(home, registry, settings, doomed):
    out = _killed_rm(home, "in-transaction", "doomed")
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert registry.get_run("doomed") is not None and len(registry.list_checkpoints("doomed")) == 2
    assert len(registry.query_results(run_ids=["doomed"])) == 1 and registry.pending_deletions() == []
    assert (doomed / "checkpoints" / "step_0000010" / "model_states.pt").is_file()
    assert [item.kind for item in plan_gc(registry, settings).items] == []


def test_rm_killed_after_its_commit_is_finished_by_gc(home, registry, settings, doomed):
    out = _killed_rm(home, "after-commit", "doomed")
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert registry.get_run("doomed") is None and registry.list_checkpoints("doomed") == []
    [pending] = registry.pending_deletions()
    assert pending.paths == [str(doomed)] and doomed.is_dir()  # half removed
    plan = plan_gc(registry, settings)
    assert [(item.kind, item.run_id) for item in plan.items] == [(PENDING, "doomed")]  # not a folder without run
    apply_gc(registry, settings, plan.items)
    assert not doomed.exists() and registry.pending_deletions() == []
    assert f"removed files of run doomed: {doomed}" in settings.deletion_log.read_text()


def test_rm_reads_the_lease_a_dead_owner_left_and_refuses_a_live_one(registry, settings):
    import socket

    import psutil

    from core.registry.tables import RunLease

    for run_id in ("orphan", "owned"):
        make_run(registry, settings, run_id, status="interrupted")
    dead = RunLease(run_id="orphan", host=socket.gethostname(), pid=2**22 + 7, pid_started=1.0)  # no such process
    me = RunLease(run_id="owned", host=socket.gethostname(), pid=os.getpid(),
                  pid_started=psutil.Process().create_time())
    assert registry.put_lease(dead, None) and registry.put_lease(me, None)
    with pytest.raises(UserError, match=f"live workers on host {socket.gethostname()} \\(pid {os.getpid()}\\)"):
        plan_removal(registry, settings, ["owned"])
    execute_removal(registry, settings, plan_removal(registry, settings, ["orphan"]))
    assert registry.get_run("orphan") is None and registry.get_lease("orphan") is None
