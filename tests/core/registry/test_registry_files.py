"""SQLite specifics: pragmas, schema version, corrupt and unplaceable files."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from core.errors import UserError
from core.registry import SCHEMA_VERSION, Registry


def test_every_connection_has_the_pragmas(tmp_path):
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    for engine in (reg._writer, reg._reader):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30000


def test_a_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    reg = Registry(url)
    with reg._writer.begin() as conn:
        conn.execute(text("UPDATE schema_info SET version = :v"), {"v": SCHEMA_VERSION + 1})
    reg.close()
    with pytest.raises(UserError, match="newer sviml"):
        Registry(url)


def test_corrupt_file_is_a_user_error(tmp_path):
    path = tmp_path / "r.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(UserError, match="not a readable SQLite database"):
        Registry(f"sqlite:///{path}")


def test_unplaceable_file_is_a_user_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot create the registry folder"):
        Registry(f"sqlite:///{blocker / 'sub' / 'r.db'}")
