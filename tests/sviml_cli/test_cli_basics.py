"""The CLI frame: groups, --version, JSON on an empty home, and one-line errors with exit 2."""

from __future__ import annotations

import json
import os

GROUPS = ("data", "run", "runs", "recipes", "eval", "report")


def test_help_lists_the_six_groups(sviml):
    out = sviml("--help")
    assert out.returncode == 0
    for group in GROUPS:
        assert f" {group} " in out.stdout


def test_version(sviml):
    from core import __version__

    out = sviml("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"sviml {__version__}"


def test_empty_home_lists_are_empty_json(sviml, home):
    for group in ("data", "runs"):
        out = sviml(group, "ls", "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == []
    assert (home / "sviml.db").exists()


def _one_line_error(out) -> str:
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def test_unknown_command_and_option(sviml):
    assert "No such command 'nope'" in _one_line_error(sviml("nope"))
    assert "No such option: --bogus" in _one_line_error(sviml("runs", "ls", "--bogus"))


def test_database_in_an_unwritable_place(sviml, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_line_error(sviml("runs", "ls", env={"SVIML_HOME": str(blocker / "home")}))
    assert "cannot create the registry folder" in line


def test_corrupt_database_file(sviml, home):
    home.mkdir(parents=True)
    (home / "sviml.db").write_bytes(os.urandom(16384))
    line = _one_line_error(sviml("data", "ls"))
    assert "not a readable SQLite database" in line


def test_bad_setting(sviml):
    assert "SVIML_DEVICE" in _one_line_error(sviml("runs", "ls", env={"SVIML_DEVICE": "tpu"}))


def test_show_of_unknown_names(sviml):
    assert "no run with id 'nope'" in _one_line_error(sviml("runs", "show", "nope"))
    assert "no dataset named 'nope'" in _one_line_error(sviml("data", "show", "nope"))
