"""`sviml runs tag / note / ls filters / compare / rm` and `sviml gc` through the real CLI."""

from __future__ import annotations

import json

import pytest

from core.registry import Registry
from core.settings import Settings
from tests.core.housekeeping.homes import add_checkpoint, make_run


@pytest.fixture
def two_runs(home, sviml):
    """Two finished runs that differ in train.lr, with results and training curves."""
    from torch.utils.tensorboard import SummaryWriter

    settings = Settings()
    registry = Registry.from_settings(settings)
    for run_id, lr, r1 in (("ra", 1e-3, 12.0), ("rb", 3e-4, 15.5)):
        run_dir = make_run(registry, settings, run_id, config={"train": {"lr": lr, "steps": 10}},
                           name=f"sweep-{run_id}", keep_last=1)
        add_checkpoint(registry, run_dir, run_id, 5)
        add_checkpoint(registry, run_dir, run_id, 10)
        writer = SummaryWriter(str(run_dir / "tb"))
        for step in range(1, 11):
            writer.add_scalar("train/loss", (5.0 if run_id == "ra" else 6.0) - 0.3 * step, step)
        writer.close()
        registry.add_results([{"run_id": run_id, "task": "retrieval_zs", "dataset": "synth-msrvtt", "split": "test",
                               "metric": "t2v_R@1", "value": r1}])
    registry.close()
    return settings


def _error(out) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sviml: error: ")
    return lines[0]


def test_tag_note_and_filter(two_runs, sviml):
    assert sviml("runs", "tag", "ra", "sweep=lr", "owner=ana").returncode == 0
    listed = json.loads(sviml("runs", "ls", "--tag", "sweep=lr", "--json").stdout)
    assert [run["id"] for run in listed] == ["ra"] and listed[0]["tags"]["owner"] == "ana"
    assert json.loads(sviml("runs", "ls", "--name", "sweep-r*", "--status", "finished", "-n", "1", "--json").stdout)[0][
        "id"] == "rb"
    assert sviml("runs", "tag", "ra", "--remove", "owner").returncode == 0
    assert sviml("runs", "note", "ra", "lr", "too", "high").returncode == 0
    shown = json.loads(sviml("runs", "show", "ra", "--json").stdout)
    assert shown["tags"] == {"sweep": "lr"} and [n["text"] for n in shown["notes"]] == ["lr too high"]
    assert "expected KEY=VALUE, got 'oops'" in _error(sviml("runs", "tag", "ra", "oops"))
    assert "no run with id 'nope'" in _error(sviml("runs", "note", "nope", "x"))
    assert "unknown status 'done'" in _error(sviml("runs", "ls", "--status", "done"))
    assert "bad tag name" in _error(sviml("runs", "ls", "--tag", "=x"))
    assert "expected KEY=VALUE" in _error(sviml("report", "--tag", "x", "--format", "md"))
    report = sviml("report", "--tag", "sweep=lr", "--format", "csv")
    assert report.returncode == 0 and "ra" in report.stdout and "rb" not in report.stdout


def test_compare_shows_differences_deltas_and_curves(two_runs, sviml, tmp_path):
    out = sviml("runs", "compare", "ra", "rb", "--plots", str(tmp_path / "plots"))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "train.lr" in text and "train.steps" not in text  # only the differing key
    assert "15.50 (+3.50)" in text  # rb's R@1 against ra's
    assert "train/loss" in text and "4.700 -> 2.000" in text and "5.700 -> 3.000" in text
    assert (tmp_path / "plots" / "losses.png").stat().st_size > 1000
    data = json.loads(sviml("runs", "compare", "ra", "rb", "--json").stdout)
    assert data["config"] == {"train.lr": ["0.001", "0.0003"]}
    assert data["results"] == {"retrieval_zs/synth-msrvtt/t2v_R@1": [12.0, 15.5]}
    assert data["curves"]["train/loss"][1]["steps"] == list(range(1, 11))
    assert "at least two" in _error(sviml("runs", "compare", "ra"))
    assert "no run with id 'zz'" in _error(sviml("runs", "compare", "ra", "zz"))


def test_rm_and_gc_through_the_cli(two_runs, sviml):
    settings = two_runs
    # Without --yes and without a terminal to ask on: nothing deleted.
    assert "pass --yes" in _error(sviml("runs", "rm", "ra"))
    assert settings.run_dir("ra").is_dir()
    dry = sviml("gc", "--json")
    items = json.loads(dry.stdout)
    assert sorted((i["kind"], i["run_id"]) for i in items) == [("checkpoint beyond keep_last", "ra"),
                                                               ("checkpoint beyond keep_last", "rb")]
    assert all(i["bytes"] == 1000 for i in items)
    assert (settings.run_dir("ra") / "checkpoints" / "step_0000005").is_dir()  # a dry run
    assert sviml("gc", "--apply").returncode == 0
    assert not (settings.run_dir("ra") / "checkpoints" / "step_0000005").exists()
    out = sviml("runs", "rm", "ra", "--yes")
    assert out.returncode == 0, out.stderr
    assert "deleted 1 run(s)" in out.stdout and not settings.run_dir("ra").exists()
    assert [run["id"] for run in json.loads(sviml("runs", "ls", "--json").stdout)] == ["rb"]
    assert "no run with id 'ra'" in _error(sviml("runs", "rm", "ra", "--yes"))
    log = settings.deletion_log.read_text()
    assert "gc: removed checkpoint beyond keep_last of run ra" in log and "deleted run ra" in log


def test_deleting_a_live_run_or_exporting_to_a_silent_server_is_one_line(two_runs, sviml):
    import socket

    from core.registry.tables import utcnow

    settings = two_runs
    registry = Registry.from_settings(settings)
    make_run(registry, settings, "live", status="running", heartbeat=utcnow())
    registry.close()
    line = _error(sviml("runs", "rm", "ra", "live", "--yes"))
    assert "run live is running on node1" in line and "SIGTERM" in line
    assert settings.run_dir("ra").is_dir() and settings.run_dir("live").is_dir()  # nothing deleted, ra neither
    assert "no run with id 'nope'" in _error(sviml("export", "tensorboard", "nope"))
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed (pip install -e .[mlflow])")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "does not answer" in _error(sviml("export", "mlflow", "--tracking-uri", f"http://127.0.0.1:{port}"))


def test_a_missing_postgres_driver_names_the_extra_and_the_url_form(home, sviml):
    # psycopg (3) is not what the postgres extra installs: the URL form sends users to the wrong driver.
    line = _error(sviml("runs", "ls", env={"SVIML_DB_URL": "postgresql+psycopg://me:secret@db.example/sviml"}))
    assert "needs the PostgreSQL driver 'psycopg'" in line and "pip install -e .[postgres]" in line
    assert "postgresql+psycopg2://user@host/db" in line and "secret" not in line
