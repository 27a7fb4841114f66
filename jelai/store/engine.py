"""SQLAlchemy engines for the store: a URL (or an SQLite file's path) in, an engine out.

SQLite (the embedded default, `sqlite:///<data_dir>/events.sqlite3`) is run
in WAL mode with `synchronous=FULL`, so an answered request survives a power
cut, and every write transaction begins with `BEGIN IMMEDIATE`, which takes
the write lock at once (readers are never blocked in WAL mode). Python's
sqlite3 module begins transactions on its own terms; it is told not to, and
SQLAlchemy's "begin" event emits the BEGIN instead, as SQLAlchemy documents
("Serializable isolation / Savepoints / Transactional DDL" in its SQLite
dialect notes).

PostgreSQL (`postgresql+psycopg://user@host/db`) needs nothing special.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

# Execution option of a connection that writes: SQLite begins it IMMEDIATE.
WRITE = "jelai_write"
# Seconds a connection waits for another writer (SQLite) before it fails.
BUSY_TIMEOUT = 15.0


def store_url(location: str | Path) -> URL:
    """A SQLAlchemy URL for a store: a URL as it is, a path as an SQLite file.

    `postgresql://` and `postgres://` mean the psycopg 3 driver.
    """
    text = str(location)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).absolute()))
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL; None for another database or SQLite in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create(url: URL) -> Engine:
    """An engine for the store at `url` (connections are made on first use)."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})
        _sqlite_transactions(engine, pragmas=True)
        return engine
    # No ping before each use: a connection that fails fails its request (the
    # browser retries a batch answered 503) and the store starts a new pool.
    return sa.create_engine(url)


def sqlite_engine(connect: Any, pool: type[sa.pool.Pool] = sa.pool.NullPool) -> Engine:
    """An engine whose connections `connect()` makes (read-only class files, copies)."""
    engine = sa.create_engine("sqlite://", creator=connect, poolclass=pool)
    _sqlite_transactions(engine, pragmas=False)
    return engine


def _sqlite_transactions(engine: Engine, *, pragmas: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def connect(dbapi: sqlite3.Connection, record: Any) -> None:
        dbapi.isolation_level = None  # transactions are begun by `begin` below
        if pragmas:
            dbapi.execute("PRAGMA journal_mode=WAL")
            # FULL syncs every commit: an answered request survives a power cut.
            dbapi.execute("PRAGMA synchronous=FULL")

    @sa.event.listens_for(engine, "begin")
    def begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
