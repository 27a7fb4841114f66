"""Schema migrations: Alembic, configured in code (no alembic.ini).

`upgrade` brings a store to the newest revision when it is opened for
writing. Two servers opening one store at once do not both migrate: the
check and the upgrade run in one transaction that first takes a lock (SQLite:
`BEGIN IMMEDIATE`, the database's write lock; PostgreSQL: a transaction-level
advisory lock), so the second finds the store up to date.
A store written before migrations existed is adopted by the first revision.

Developers make a new revision with Alembic's API, e.g.
`alembic.command.revision(migrate.config(), "what changes")`, and write its
`upgrade` by hand (the test suite checks that the revisions end where
`tables.metadata` is).
"""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .engine import WRITE
from .errors import StoreError

# The advisory lock every jelai server takes on PostgreSQL while it migrates
# (any 64-bit number; this one spells "jelai" in ASCII).
LOCK_KEY = 0x6A656C6169


def config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for the store's revisions, optionally bound to `connection`."""
    settings = Config()
    settings.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    settings.attributes["connection"] = connection
    return settings


@functools.cache
def head() -> str:
    """The newest revision this jelai knows."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def revision(conn: sa.Connection) -> str | None:
    """The revision a store is at; None if it has none (new, or from before migrations)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Brings the store at `engine` to `head()` under the migration lock.

    Raises StoreError if the store is at a revision this jelai does not know
    (written by a newer jelai): it is left as it is.
    """
    with engine.execution_options(**{WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
        found = revision(conn)
        if found == head():
            return
        known = ScriptDirectory.from_config(config())
        if found is not None and found not in {
            script.revision for script in known.walk_revisions()
        }:
            raise StoreError(
                f"the store at {engine.url!r} has schema revision {found}, which this"
                " version of jelai does not know; upgrade jelai"
            )
        command.upgrade(config(conn), "head")
