"""Reading a store without writing to it: insight and export.

A store is read either from its SQLite file, read-only (an instructor's
`jelai export` reading a class folder or a researcher's copy, the server's own
file), or through a URL (a database server), with a connection of a shared
engine.

An SQLite file at an older schema (a student's store not opened by this
jelai yet, or written before migrations existed) cannot be migrated by a
reader; it is copied into memory and the copy migrated, so every reader
sees the current tables. A file at a revision this jelai does not know
raises StoreError.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import sqlalchemy as sa

from . import engine as engines
from . import migrate
from .errors import StoreError


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A read-only connection to a store file, also on a read-only mount.

    SQLite reads a WAL database read-only only while its `-wal` and `-shm`
    files exist (the student's server is running) or can be created. On a
    read-only mount of a stopped server's store neither holds, and
    `immutable=1` is then safe: with no `-wal` file, every row is in the
    main file.
    """
    path = Path(path).absolute()
    uri = path.as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError:
        if not path.is_file() or Path(f"{path}-wal").exists():
            raise
    conn = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)
    conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    return conn


# Every file is read through one engine, whose connections open the file
# named here: one engine compiles each query once for all of them.
_PATH: ContextVar[Path] = ContextVar("jelai_readonly_path")
_FILES = engines.sqlite_engine(lambda: open_sqlite(_PATH.get()))
_VERSION = sa.table("alembic_version", sa.column("version_num", sa.Text))


@contextmanager
def sqlite_file(path: Path) -> Iterator[sa.Connection]:
    """A read-only connection to the store file at `path`, at the current schema."""
    token = _PATH.set(Path(path))
    try:
        with _FILES.connect() as conn:
            if _file_revision(conn) == migrate.head():
                yield conn
                return
    finally:
        _PATH.reset(token)
    with _migrated_copy(path) as conn:
        yield conn


def _file_revision(conn: sa.Connection) -> str | None:
    """The revision of an SQLite store; None before migrations (no version table).

    A failed SELECT leaves an SQLite transaction as it was, so the table's
    absence is found by trying (cheaper than Alembic's inspection per file).
    """
    try:
        return conn.execute(sa.select(_VERSION.c.version_num)).scalar()
    except sa.exc.OperationalError as error:
        if "no such table" not in str(error):
            raise
        return None


@contextmanager
def _migrated_copy(path: Path) -> Iterator[sa.Connection]:
    memory = sqlite3.connect(":memory:", check_same_thread=False)
    source = open_sqlite(path)
    try:
        source.backup(memory)
    finally:
        source.close()
    engine = engines.sqlite_engine(lambda: memory, sa.pool.StaticPool)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
        memory.close()


@contextmanager
def database(url: str) -> Iterator[sa.Connection]:
    """A connection to the store at `url`, which its writers keep migrated."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            found = migrate.revision(conn)
            if found != migrate.head():
                raise StoreError(
                    f"the store at {engine.url!r} is at schema revision {found},"
                    f" this jelai reads {migrate.head()}"
                )
            yield conn
    except sa.exc.SQLAlchemyError:
        engine.dispose()  # the next read connects afresh (the server may have restarted)
        raise


@functools.cache
def _engine(url: str) -> sa.Engine:
    return engines.create(engines.store_url(url))
