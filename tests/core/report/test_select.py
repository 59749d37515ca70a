"""Which runs a report shows: pre-training runs with results by default; --runs, --name, --last."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.registry import open_reader
from core.report.select import select_runs


@pytest.fixture
def reader(settings, known):
    opened = open_reader(settings.database_url)
    yield opened
    opened.close()


def _ids(selection):
    return [run["id"] for run in selection.runs]


def test_default_is_pretrain_runs_with_results(reader, known):
    selection = select_runs(reader)
    assert _ids(selection) == [known["b"], known["a"]]  # no head run, no run without results
    assert {r["run_id"] for r in selection.results} == {known["a"], known["b"]}
    run = selection.runs[1]
    assert run["config"]["train"]["lr"] == 1e-3 and run["run_dir"].endswith("run-a")


def test_explicit_runs_name_and_last(reader, known):
    assert _ids(select_runs(reader, run_ids=[known["empty"], known["a"]])) == [known["empty"], known["a"]]
    assert _ids(select_runs(reader, name="sweep-a")) == [known["a"]]
    assert _ids(select_runs(reader, name="sweep-*")) == [known["b"], known["a"]]
    assert _ids(select_runs(reader, last=1)) == [known["b"]]
    only_qa = select_runs(reader, tasks=["qa"])
    assert _ids(only_qa) == [known["a"]] and {r["task"] for r in only_qa.results} == {"qa"}


def test_bad_selections_are_user_errors(reader, known):
    with pytest.raises(UserError, match="no run with id 'nope'"):
        select_runs(reader, run_ids=["nope"])
    with pytest.raises(UserError, match="no run with id 'nope'"):
        select_runs(reader, baseline="nope")
    with pytest.raises(UserError, match="--last must be a positive"):
        select_runs(reader, last=0)


def test_the_registry_fallback_reads_the_same(settings, known):
    from core.registry import Registry

    registry = Registry(settings.database_url)  # the SQLAlchemy path (PostgreSQL teams)
    try:
        slow = select_runs(registry)
    finally:
        registry.close()
    opened = open_reader(settings.database_url)
    try:
        fast = select_runs(opened)
    finally:
        opened.close()
    assert _ids(slow) == _ids(fast)
    assert [r["config"] for r in slow.runs] == [r["config"] for r in fast.runs]
    assert len(slow.results) == len(fast.results)


def test_run_filters_narrow_the_report(settings, known):
    from core.registry import Registry
    from core.registry.schema import RunFilter

    registry = Registry(settings.database_url)
    registry.set_tags(known["b"], {"sweep": "lr"})
    registry.close()
    opened = open_reader(settings.database_url)
    try:
        assert _ids(select_runs(opened, where=RunFilter(tags=(("sweep", "lr"),)))) == [known["b"]]
        assert _ids(select_runs(opened, where=RunFilter(tags=(("w_ground", "1"),)))) == [known["b"], known["a"]]
        assert _ids(select_runs(opened, where=RunFilter(status="running"))) == []  # the running run has no results
        # Explicit runs are narrowed too; --recipe replaces the pre-training default.
        both = [known["a"], known["head"]]
        assert _ids(select_runs(opened, run_ids=both, where=RunFilter(recipe="finetune_qa"))) == [known["head"]]
        assert _ids(select_runs(opened, where=RunFilter(recipe="finetune_qa"))) == []  # heads hold no results
    finally:
        opened.close()
