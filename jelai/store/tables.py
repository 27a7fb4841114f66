"""The store's tables, as SQLAlchemy Core metadata: the one description of the schema.

The migrations (`migrations/versions/`) create exactly this; a test compares
the two. Every table works on SQLite and PostgreSQL.

- `events`: one row per event id. `seq` numbers rows in arrival order (on
  SQLite it is the rowid) and breaks ties between events of one millisecond;
  `event` is the stored envelope as JSON text, returned as it is.
  `time` is the UTC spelling of `events.utc_time` (it sorts as text), and
  `time_ms`, `outcome` and `error_name` are read from the envelope at ingest
  (`columns.row_of`) so that analytics reads plain columns on every database.
- `activity`: per user, notebook and minute (the minute's start, Unix ms),
  the events and the first and last event time (Unix ms).
- `executions`: per user, notebook and cell, runs, failures and the last
  failure's time (Unix ms).
- `failures`: per user, notebook and error name, failed runs.
- `hours`: per user, notebook and hour (the hour's start, Unix ms), the
  events, the first and last event time (Unix ms), and the chat questions
  (`chat.exchange`) and hint requests (`tutor.hint`): what the class summary
  reads for each student's totals and the activity chart, a row per hour
  rather than per minute.

The summary tables use '' for a missing notebook, cell or error name:
NULLs are never equal in a key. What counts as a run and a failure is in
`summaries`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A 64-bit key on PostgreSQL; on SQLite only "INTEGER" makes the key the rowid.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "events",
    metadata,
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
# What the tutor and the event API read: one user's notebook in time order.
sa.Index("events_user_notebook_time", events.c.user, events.c.notebook, events.c.time)
# Help requests and the stuck rule's recent runs.
sa.Index("events_type", events.c.type, events.c.user, events.c.notebook, events.c.time)

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("notebook", sa.Text, primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Column("first_ms", sa.BigInteger, nullable=False),
    sa.Column("last_ms", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

executions = sa.Table(
    "executions",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("notebook", sa.Text, primary_key=True),
    sa.Column("cell_id", sa.Text, primary_key=True),
    sa.Column("runs", sa.BigInteger, nullable=False),
    sa.Column("failures", sa.BigInteger, nullable=False),
    sa.Column("last_failure_ms", sa.BigInteger),
    sqlite_with_rowid=False,
)

failures = sa.Table(
    "failures",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("notebook", sa.Text, primary_key=True),
    sa.Column("error_name", sa.Text, primary_key=True),
    sa.Column("runs", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

hours = sa.Table(
    "hours",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("notebook", sa.Text, primary_key=True),
    sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Column("first_ms", sa.BigInteger, nullable=False),
    sa.Column("last_ms", sa.BigInteger, nullable=False),
    sa.Column("questions", sa.BigInteger, nullable=False),
    sa.Column("hints", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

SUMMARIES = (activity, executions, failures, hours)
