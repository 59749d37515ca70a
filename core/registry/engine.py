"""Opening the registry database: engine set-up, SQLite pragmas, schema version, clear errors.

SQLite is opened in WAL mode with `synchronous=NORMAL`, foreign keys on and a 30 s busy timeout
on every connection. Write transactions start with `BEGIN IMMEDIATE`: a deferred transaction
that reads first and writes later can fail at once with "database is locked" when another
writer got there in between (SQLite cannot upgrade its lock without risking deadlock), while
an immediate one waits its turn under the busy timeout. Read-only sessions use a second engine
with plain deferred transactions so that readers never queue behind writers.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session, SQLModel, create_engine, select

from core.errors import UserError
from core.registry.schema import SCHEMA_VERSION
from core.registry.tables import SchemaInfo

BUSY_TIMEOUT_S = 30


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _install_sqlite_pragmas(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # noqa: ANN001 (SQLAlchemy Connection)
        connection.exec_driver_sql(begin)


# The URL form the README documents for PostgreSQL, and what installs its driver.
POSTGRES_URL_FORM = "postgresql+psycopg2://user@host/db"
POSTGRES_EXTRA = "pip install -e .[postgres]"


def missing_driver_message(url: str, module: str) -> str:
    """What to install (or which URL form to use) when the database driver of `url` is absent."""
    shown = make_url(url).render_as_string(hide_password=True)
    if make_url(url).get_backend_name() == "postgresql":
        return (f"registry {shown} needs the PostgreSQL driver {module!r}, which is not installed: "
                f"`{POSTGRES_EXTRA}` installs psycopg2, for URLs of the form {POSTGRES_URL_FORM} (see the README)")
    return f"registry {shown} needs the database driver {module!r}, which is not installed: install it with pip"


def build_engines(url: str) -> tuple[Engine, Engine]:
    """(write engine, read engine) for `url`; for non-SQLite URLs both are the same engine."""
    try:
        make_url(url)
    except ArgumentError as err:
        raise UserError(f"SVIML_DB_URL is not a database URL: {url!r}") from err
    sqlite_file = _sqlite_path(url)
    if sqlite_file is None:
        if make_url(url).get_backend_name() == "sqlite":  # in-memory: one shared connection
            from sqlalchemy.pool import StaticPool

            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
            _install_sqlite_pragmas(engine, "BEGIN")
            return engine, engine
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as err:
            raise UserError(missing_driver_message(url, err.name or "")) from err
        except Exception as err:  # bad options
            raise UserError(f"cannot use registry database {make_url(url)!r}: {err}") from err
        return engine, engine
    try:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the registry folder {sqlite_file.parent}: {err.strerror}") from err
    connect_args = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    writer = create_engine(url, connect_args=connect_args)
    reader = create_engine(url, connect_args=connect_args)
    _install_sqlite_pragmas(writer, "BEGIN IMMEDIATE")
    _install_sqlite_pragmas(reader, "BEGIN")
    return writer, reader


def describe_db_error(url: str, err: Exception) -> str:
    """One line that tells a user what is wrong with the registry file, without a traceback."""
    target = _sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    text = str(getattr(err, "orig", err))
    if "file is not a database" in text or "malformed" in text:
        return f"registry {target} is not a readable SQLite database (corrupt?): {text}"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return f"cannot open registry {target} for writing: {text}"
    return f"registry {target}: {text}"


def ensure_schema(writer: Engine, reader: Engine, url: str) -> None:
    """Create missing tables and check the schema version; refuse a newer file."""
    try:
        with Session(reader) as session:
            existing = inspect(session.connection()).get_table_names()
            version = None
            if "schema_info" in existing:
                info = session.get(SchemaInfo, 1)
                version = info.version if info else None
        if version is not None and version > SCHEMA_VERSION:
            raise UserError(
                f"registry {_sqlite_path(url) or url} was written by a newer sviml "
                f"(schema {version} > {SCHEMA_VERSION}): upgrade sviml to open it"
            )
        if version == SCHEMA_VERSION and set(SQLModel.metadata.tables) <= set(existing):
            return
        SQLModel.metadata.create_all(writer)
        with Session(writer) as session:
            if session.exec(select(SchemaInfo)).first() is None:
                session.add(SchemaInfo(id=1, version=SCHEMA_VERSION))
            session.commit()
    except (OperationalError, DatabaseError, sqlite3.DatabaseError) as err:
        raise UserError(describe_db_error(url, err)) from err
