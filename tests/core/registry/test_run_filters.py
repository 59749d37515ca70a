"""`--tag`, `--status`, `--recipe`, `--name` filters: one meaning on both read paths; tags and notes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import UserError
from core.registry import Registry, Run, open_reader
from core.registry.schema import RunFilter
from core.registry.sqlite_read import SqliteReader
from core.registry.tables import utcnow
from core.registry.tags import parse_tag, tag_matches


def test_parse_tag_and_matching():
    assert parse_tag("sweep=lr") == ("sweep", "lr")
    assert parse_tag("note=a=b") == ("note", "a=b")  # the first '=' splits
    assert parse_tag("empty=") == ("empty", "")
    for bad, message in (("novalue", "expected KEY=VALUE"), ("=x", "bad tag name"), ("9a=1", "bad tag name"),
                         ("a b=1", "bad tag name")):
        with pytest.raises(UserError, match=message):
            parse_tag(bad)
    # Numbers a recipe stored match any spelling of the same number; text matches exactly.
    assert tag_matches({"w": 0.0}, "w", "0") and tag_matches({"w": 0.0}, "w", "0.0")
    assert not tag_matches({"w": 0.0}, "w", "zero") and not tag_matches({"w": 1.0}, "w", "0")
    assert tag_matches({"s": "1e-4"}, "s", "1e-4") and not tag_matches({"s": "1e-4"}, "s", "0.0001")
    assert tag_matches({"b": True}, "b", "true") and not tag_matches({"b": True}, "b", "1")
    assert not tag_matches({}, "w", "0") and not tag_matches(None, "w", "0")


def test_bad_filters_are_user_errors():
    with pytest.raises(UserError, match="unknown status 'done'"):
        RunFilter(status="done")
    with pytest.raises(UserError, match="must be positive"):
        RunFilter(limit=0)


def _fill(reg: Registry) -> None:
    now = utcnow()
    old = now - timedelta(hours=1)
    rows = [  # id, name, recipe, status, heartbeat, tags
        ("a", "sweep-a", "pretrain", "finished", old, {"w_ground": 0.0, "sweep": "lr"}),
        ("b", "sweep-b", "pretrain", "running", now, {"w_ground": 1.0, "sweep": "lr"}),
        ("c", "other", "pretrain", "running", old, {"w_ground": 0.0}),  # its process died: stale
        ("d", "sweep-d", "finetune_qa", "failed", old, {"dataset": "synth-msrvtt-qa", "sweep": "wd"}),
        ("e", "Sweep-e", "pretrain", "finished", old, {"sweep": "lr", "flag": True}),
    ]
    for i, (run_id, name, recipe, status, beat, tags) in enumerate(rows):
        reg.create_run(Run(id=run_id, name=name, recipe=recipe, config_name="tiny", status=status, heartbeat=beat,
                           created=old + timedelta(seconds=i), tags=tags))


FILTERS = {  # filter -> the ids expected, newest first
    "all": (RunFilter(), ["e", "d", "c", "b", "a"]),
    "tag number": (RunFilter(tags=(("w_ground", "0"),)), ["c", "a"]),
    "two tags": (RunFilter(tags=(("sweep", "lr"), ("w_ground", "1"))), ["b"]),
    "tag bool": (RunFilter(tags=(("flag", "true"),)), ["e"]),
    "tag absent": (RunFilter(tags=(("nope", "x"),)), []),
    "running is not stale": (RunFilter(status="running"), ["b"]),
    "stale": (RunFilter(status="stale"), ["c"]),
    "recipe and status": (RunFilter(recipe="pretrain", status="finished"), ["e", "a"]),
    "glob is case-sensitive": (RunFilter(name_glob="sweep-*"), ["d", "b", "a"]),
    "limit after tags": (RunFilter(tags=(("sweep", "lr"),), limit=2), ["e", "b"]),
    "limit after status": (RunFilter(status="finished", limit=1), ["e"]),
}


@pytest.mark.parametrize("case", list(FILTERS))
def test_both_read_paths_filter_alike(tmp_path, case):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    reg = Registry(url)
    _fill(reg)
    fast = open_reader(url)
    assert isinstance(fast, SqliteReader)
    query, expected = FILTERS[case]
    assert [r["id"] for r in reg.run_records(query)] == expected
    assert fast.run_records(query) == reg.run_records(query)


def test_postgres_filters_like_sqlite(postgres_url):
    reg = Registry(postgres_url)
    _fill(reg)
    for query, expected in FILTERS.values():
        assert [r["id"] for r in reg.run_records(query)] == expected


@pytest.fixture(params=["sqlite", "postgresql"])
def any_registry(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'reg.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    reg = Registry(url)
    yield reg
    reg.close()


def test_tags_and_notes(any_registry: Registry):
    reg = any_registry
    reg.create_run(Run(id="r", recipe="finetune_qa", config_name="tiny", tags={"dataset": "d", "w": 1.0}))
    assert reg.set_tags("r", {"sweep": "lr", "owner": "ana"}) == {"dataset": "d", "w": 1.0, "sweep": "lr", "owner": "ana"}
    assert reg.set_tags("r", {"sweep": "wd"}, remove=["owner"]) == {"dataset": "d", "w": 1.0, "sweep": "wd"}
    assert reg.get_run("r").tags == {"dataset": "d", "w": 1.0, "sweep": "wd"}
    with pytest.raises(UserError, match="has no tag 'owner'"):
        reg.set_tags("r", {"a": "1"}, remove=["owner"])
    assert reg.get_run("r").tags == {"dataset": "d", "w": 1.0, "sweep": "wd"}  # all or nothing
    with pytest.raises(UserError, match="tag 'dataset' is set by sviml"):
        reg.set_tags("r", {"dataset": "other"})
    with pytest.raises(UserError, match="no run with id 'nope'"):
        reg.set_tags("nope", {"a": "1"})
    first = reg.add_note("r", "  looks converged ")
    reg.add_note("r", "second thought")
    notes = reg.notes(["r", "nope"])
    assert list(notes) == ["r"] and [n.text for n in notes["r"]] == ["looks converged", "second thought"]
    assert notes["r"][0].created == first.created
    with pytest.raises(UserError, match="needs some text"):
        reg.add_note("r", "   ")
    with pytest.raises(UserError, match="no run with id 'nope'"):
        reg.add_note("nope", "x")
