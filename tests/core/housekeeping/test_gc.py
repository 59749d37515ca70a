"""`sviml gc`: each kind of garbage found with its size, nothing alive or in use touched, `--apply` removes."""

from __future__ import annotations

import os
import time

import numpy as np

from core.data.feature_cache import feature_cache_dir
from core.housekeeping import gc
from core.housekeeping.gc import apply_gc, plan_gc
from core.registry.tables import utcnow
from tests.core.housekeeping.homes import add_checkpoint, add_export, cache_features, make_run


def _old(path):
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    return path


def build_home(registry, settings):
    """One of every kind of garbage, and its look-alikes that must stay."""
    paths = {}
    # A finished run with keep_last 1 and three complete checkpoints (two beyond), an incomplete one and
    # a folder the registry never registered.
    run_dir = make_run(registry, settings, "pre", keep_last=1)
    paths["old5"] = add_checkpoint(registry, run_dir, "pre", 5, size=1000)
    paths["old10"] = add_checkpoint(registry, run_dir, "pre", 10, size=2000)
    paths["new15"] = add_checkpoint(registry, run_dir, "pre", 15, size=4000)
    paths["partial"] = add_checkpoint(registry, run_dir, "pre", 20, size=10, complete=False)
    stray = run_dir / "checkpoints" / "step_0000025"
    stray.mkdir()
    (stray / "mp_rank_00_model_states.pt").write_bytes(b"\0" * 77)
    export = add_export(registry, run_dir, "pre")
    paths["live cache"] = cache_features(settings, export)
    # The same export written again: the first entry's fingerprint no longer matches anything.
    os.utime(export / "model.safetensors", (1, 1))
    paths["dead cache"] = paths["live cache"]
    paths["live cache"] = cache_features(settings, export)
    flat = feature_cache_dir(settings) / "0123abcd.npz"  # the layout before per-weights folders
    np.savez(flat, a=np.zeros(3))
    paths["flat cache"] = flat
    # A running run with a fresh heartbeat keeps everything, even beyond keep_last.
    live_dir = make_run(registry, settings, "live", status="running", heartbeat=utcnow(), keep_last=1)
    add_checkpoint(registry, live_dir, "live", 5)
    add_checkpoint(registry, live_dir, "live", 10)
    # Two finished heads of the same checkpoint and dataset: the older is superseded...
    init = {"init": {"run": "pre", "checkpoint": str(export)}}
    for head_id, offset in (("head-old", 10), ("head-new", 20)):
        make_run(registry, settings, head_id, recipe="finetune_qa", parent_id="pre", tags={"dataset": "d"},
                 config=dict(init), created_offset_s=offset)
    # ...unlike an older head that results still name, or one on another dataset.
    make_run(registry, settings, "head-cited", recipe="finetune_qa", parent_id="pre", tags={"dataset": "d"},
             config=dict(init), created_offset_s=5)
    registry.add_results([{"run_id": "pre", "task": "qa", "dataset": "d", "split": "test", "metric": "acc",
                           "value": 3.0, "protocol": {"head_run": "head-cited"}}])
    make_run(registry, settings, "head-other", recipe="finetune_qa", parent_id="pre", tags={"dataset": "e"},
             config=dict(init), created_offset_s=1)
    # A folder without a row (an hour old), one being created right now, and a row whose folder is gone.
    paths["orphan"] = settings.run_dir("orphan")
    paths["orphan"].mkdir(parents=True)
    (paths["orphan"] / "x").write_bytes(b"\0" * 50)
    _old(paths["orphan"])
    settings.run_dir("just-created").mkdir()
    legacy = settings.home / "runs" / "20250101-000000-abcdef"  # the earlier layout's folder
    legacy.mkdir(parents=True)
    _old(legacy)
    paths["legacy orphan"] = legacy
    gone = make_run(registry, settings, "gone-folder")
    for path in sorted(gone.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    gone.rmdir()
    return paths


def test_gc_finds_each_kind_with_sizes(registry, settings):
    paths = build_home(registry, settings)
    plan = plan_gc(registry, settings)
    found = {(item.kind, item.run_id, item.path) for item in plan.items}
    assert found == {
        (gc.BEYOND_KEEP, "pre", paths["old5"]), (gc.BEYOND_KEEP, "pre", paths["old10"]),
        (gc.INCOMPLETE, "pre", paths["partial"]),
        (gc.UNREGISTERED, "pre", settings.run_dir("pre") / "checkpoints" / "step_0000025"),
        (gc.SUPERSEDED, "head-old", settings.run_dir("head-old")),
        (gc.CACHE, None, paths["dead cache"].parent), (gc.CACHE, None, paths["flat cache"]),
        (gc.ORPHAN, None, paths["orphan"]), (gc.ORPHAN, None, paths["legacy orphan"]),
        (gc.NO_FOLDER, "gone-folder", None),
    }
    sizes = {item.path: item.bytes for item in plan.items}
    assert sizes[paths["old5"]] == 1000 and sizes[paths["old10"]] == 2000 and sizes[paths["orphan"]] == 50
    assert sizes[settings.run_dir("pre") / "checkpoints" / "step_0000025"] == 77
    assert sizes[settings.run_dir("head-old")] == len("train: {}\n") + 500
    assert plan.bytes == sum(sizes.values())
    assert len(plan.skipped) == 1 and plan.skipped[0].startswith("run live is running")
    assert not settings.deletion_log.exists()  # a dry run changes nothing
    assert len(registry.list_checkpoints("pre")) == 5


def test_gc_keep_last_option(registry, settings):
    build_home(registry, settings)
    kinds = [(item.kind, item.what) for item in plan_gc(registry, settings, keep_last=0).items
             if item.kind == gc.BEYOND_KEEP]
    assert kinds == [(gc.BEYOND_KEEP, f"step_00000{n} (newest 0 kept)") for n in ("05", "10", "15")]


def test_gc_apply_removes_and_logs_then_finds_nothing(registry, settings):
    paths = build_home(registry, settings)
    plan = plan_gc(registry, settings)
    apply_gc(registry, settings, plan.items)
    for key in ("old5", "old10", "partial", "dead cache", "flat cache", "orphan", "legacy orphan"):
        assert not paths[key].exists(), key
    assert paths["new15"].is_dir() and paths["live cache"].is_file()
    assert [c.tag for c in registry.list_checkpoints("pre", kind="deepspeed")] == ["step_0000015"]
    assert registry.get_run("head-old") is None and registry.get_run("gone-folder") is None
    assert {r.id for r in registry.list_runs()} == {"pre", "live", "head-new", "head-cited", "head-other"}
    assert settings.run_dir("just-created").is_dir() and len(registry.list_checkpoints("live")) == 2
    log = settings.deletion_log.read_text().splitlines()
    assert len(log) == len(plan.items) + 1  # the superseded head logs its rows and its files
    assert [item.kind for item in plan_gc(registry, settings).items] == []
