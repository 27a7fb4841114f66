"""The store's first schema: events and the three summary tables.

A store written before migrations existed (jelai 0.1: an SQLite file whose
`events` table has no `seq`, `time_ms`, `outcome` or `error_name`, maybe
with development builds' summary triggers) is adopted instead: its events
are copied, in their arrival order (rowid), into the new table with the new
columns read from each event, and the summaries are counted again from them.
No event is left behind: the copy and the removal of the old table are one
transaction. The new columns and the summaries are computed by the code of
the release that runs this revision (`columns`, `summaries`); a later
revision that changes how they are computed counts them again itself.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from jelai.record.outcomes import outcome_of
from jelai.store import columns, summaries, tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# What stores before migrations kept beside the events (SQLite only).
_RETIRED_TRIGGERS = ("events_activity", "events_count_runs", "events_count_failures")
_RETIRED_TABLES = ("activity", "executions", "failures", "summary_versions")
_LEGACY = "events_before_migrations"
# The summary tables this revision makes (later ones add their own).
_SUMMARIES = tuple(tables.metadata.tables[name] for name in ("activity", "executions", "failures"))
_COPY_ROWS = 2000


def upgrade() -> None:
    bind = op.get_bind()
    legacy = sa.inspect(bind).has_table("events")
    if legacy:
        _retire(bind)
        op.rename_table("events", _LEGACY)
    _create()
    if legacy:
        _copy(bind)
        op.drop_table(_LEGACY)
        summaries.rebuild(bind, _SUMMARIES)


def downgrade() -> None:
    for name in ("failures", "executions", "activity", "events"):
        op.drop_table(name)


def _create() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, sa.Identity(), primary_key=True),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("notebook", sa.Text),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("time", sa.Text, nullable=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("cell_id", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("error_name", sa.Text),
        sa.Column("received", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.UniqueConstraint("id", name="events_id"),
    )
    op.create_index("events_user_notebook_time", "events", ["user", "notebook", "time"])
    op.create_index("events_type", "events", ["type", "user", "notebook", "time"])
    op.create_table(
        "activity",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("notebook", sa.Text, primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.Column("first_ms", sa.BigInteger, nullable=False),
        sa.Column("last_ms", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "executions",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("notebook", sa.Text, primary_key=True),
        sa.Column("cell_id", sa.Text, primary_key=True),
        sa.Column("runs", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.BigInteger, nullable=False),
        sa.Column("last_failure_ms", sa.BigInteger),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "failures",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("notebook", sa.Text, primary_key=True),
        sa.Column("error_name", sa.Text, primary_key=True),
        sa.Column("runs", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def _retire(bind: sa.Connection) -> None:
    """Drops what stores before migrations kept beside `events` (SQLite's own
    `DROP ... IF EXISTS`, a documented exception: only SQLite stores predate
    migrations)."""
    for name in _RETIRED_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for index in sa.inspect(bind).get_indexes("events"):
        op.drop_index(index["name"], table_name="events")
    for name in _RETIRED_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {name}")


def _copy(bind: sa.Connection) -> None:
    """Every old row into the new table, in arrival order, with the new columns."""
    old = sa.table(
        _LEGACY,
        sa.column("rowid", sa.Integer),
        *(sa.column(name, sa.Text) for name in ("id", "user", "session", "notebook", "type")),
        *(sa.column(name, sa.Text) for name in ("time", "cell_id", "received", "event")),
    )
    new = sa.table("events", *(sa.column(name) for name in _NEW_COLUMNS))
    after = -1
    while True:
        rows = bind.execute(
            sa.select(old).where(old.c.rowid > after).order_by(old.c.rowid).limit(_COPY_ROWS)
        ).all()
        if not rows:
            return
        bind.execute(sa.insert(new), [_new_row(row) for row in rows])
        after = rows[-1].rowid


_NEW_COLUMNS = (
    "seq",
    "id",
    "user",
    "session",
    "notebook",
    "type",
    "time",
    "time_ms",
    "cell_id",
    "outcome",
    "error_name",
    "received",
    "event",
)


def _new_row(row: sa.Row) -> dict:
    outcome = error_name = None
    if row.type == "cell.execute":
        data = json.loads(row.event).get("data") or {}
        outcome = outcome_of(data)
        if outcome == "error":
            error_name = columns.error_name_of(data)
    return {
        "seq": row.rowid,
        "id": row.id,
        "user": row.user,
        "session": row.session,
        "notebook": row.notebook,
        "type": row.type,
        "time": row.time,
        "time_ms": columns.time_ms(row.time),
        "cell_id": row.cell_id,
        "outcome": outcome,
        "error_name": error_name,
        "received": row.received,
        "event": row.event,
    }
