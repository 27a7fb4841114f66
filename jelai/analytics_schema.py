"""What the event store keeps for analytics, beside the events themselves.

Three small tables, brought up to date in the same transaction as each
stored batch (from the rows really inserted, so a retried batch never counts
twice), so a class summary reads a few rows per student and notebook instead
of every event:

- `activity`: per user, notebook and minute, the events and the first and
  last event time (ms). Active time is exact from it: gaps inside a minute
  are shorter than any idle threshold of a minute or more, and the gap
  between two minutes runs from the last event of one to the first of the
  next.
- `executions`: per user, notebook and cell, runs, failures and the last
  failure's time.
- `failures`: per user, notebook and error name, failed runs.

Runs and failures follow the execution outcomes (`OUTCOME_SQL`, the rule of
`analytics_rules`): a run is any `cell.execute` but an aborted one, a
failure is an outcome "error" only.

A batch updates them with one grouped statement each over its new rows
(`update_summaries`): a few upserts per batch instead of several per event,
which is most of what storing a batch costs. The `events_type` index serves
help requests and the stuck rule's recent runs.

`add_analytics_schema` runs whenever the store is opened for writing; a store
written before a table existed is brought up to date (filled from the events
once). The table `summary_versions` records the rule each table was counted
with (`VERSIONS`): a table counted with an older rule is dropped and filled
again once, and a reader meeting one (a store not yet opened by this
version) computes from the events instead (`current_table`). With an SQLite
too old for it (before 3.24) the store stays as it was, and analytics
computes the same numbers from the events: the `*_SQL` queries below are the
fill, the per-batch update and that fallback.
"""

from __future__ import annotations

import sqlite3

# Unix milliseconds of a stored time: integers are what analytics subtracts.
MS_SQL = "CAST(round((julianday({}) - 2440587.5) * 86400000) AS INTEGER)"
# The outcome of a `cell.execute` event (see `analytics_rules.outcome_of`):
# the recorded one, or for events of older clients the one derived from
# `success` and `error`. JSON null and a missing `error` both read as NULL.
OUTCOME_SQL = (
    "coalesce(json_extract(event, '$.data.outcome'), CASE"
    " WHEN json_extract(event, '$.data.success') THEN 'ok'"
    " WHEN json_extract(event, '$.data.error') IS NULL THEN 'aborted'"
    " WHEN json_extract(event, '$.data.error.name') = 'KeyboardInterrupt' THEN 'interrupted'"
    " ELSE 'error' END)"
)
# The error of a failed run ('' if unnamed), NULL for any other run.
ERROR_NAME_SQL = (
    "CASE WHEN outcome = 'error' THEN coalesce(json_extract(event, '$.data.error.name'), '') END"
)
# Rows stored after a given rowid: the batch just inserted, found by rowid
# (an index would tempt the planner into reading every event for the GROUP BY).
NEW_ROWS = " NOT INDEXED WHERE rowid > ?"


# Each query below reads `events`: the table (with `rows`, the rows of a
# batch), or any subquery with the same columns (analytics reads events with
# the notebook they belong to across renames that way).


def activity_sql(rows: str = "", events: str = "events") -> str:
    # Keys hold '' for a missing notebook or cell: NULLs are never equal in a key.
    return (
        "SELECT user, ifnull(notebook, '') AS notebook, substr(time, 1, 16) AS minute,"
        f" count(*) AS events, {MS_SQL.format('min(time)')} AS first_ms,"
        f" {MS_SQL.format('max(time)')} AS last_ms FROM {events}{rows} GROUP BY 1, 2, 3"
    )


def _outcomes(rows: str, events: str) -> str:
    """`cell.execute` events with their outcome: time, cell, outcome, event."""
    where = " AND " if rows else " WHERE "
    return (
        f"SELECT user, notebook, cell_id, time, event, {OUTCOME_SQL} AS outcome"
        f" FROM {events}{rows}{where}type = 'cell.execute'"
    )


def _runs(rows: str, events: str) -> str:
    # An aborted cell never ran: it is no run, and no cell attempted.
    return (
        f"SELECT user, notebook, cell_id, time, {ERROR_NAME_SQL} AS failed_as"
        f" FROM ({_outcomes(rows, events)}) WHERE outcome <> 'aborted'"
    )


def executions_sql(rows: str = "", events: str = "events") -> str:
    return (
        "SELECT user, ifnull(notebook, '') AS notebook, ifnull(cell_id, '') AS cell_id,"
        " count(*) AS runs, count(failed_as) AS failures,"
        " max(CASE WHEN failed_as IS NOT NULL THEN time END) AS last_failure"
        f" FROM ({_runs(rows, events)}) GROUP BY 1, 2, 3"
    )


def failures_sql(rows: str = "", events: str = "events") -> str:
    return (
        "SELECT user, ifnull(notebook, '') AS notebook, failed_as AS error_name, count(*) AS runs"
        f" FROM ({_runs(rows, events)}) WHERE failed_as IS NOT NULL GROUP BY 1, 2, 3"
    )


ACTIVITY_SQL = activity_sql()
EXECUTIONS_SQL = executions_sql()
FAILURES_SQL = failures_sql()

_TABLES = {
    "activity": (
        """CREATE TABLE activity (
            user TEXT NOT NULL, notebook TEXT NOT NULL, minute TEXT NOT NULL,
            events INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
            PRIMARY KEY (user, notebook, minute)
        ) WITHOUT ROWID""",
        ACTIVITY_SQL,
    ),
    "executions": (
        """CREATE TABLE executions (
            user TEXT NOT NULL, notebook TEXT NOT NULL, cell_id TEXT NOT NULL,
            runs INTEGER NOT NULL, failures INTEGER NOT NULL, last_failure TEXT,
            PRIMARY KEY (user, notebook, cell_id)
        ) WITHOUT ROWID""",
        EXECUTIONS_SQL,
    ),
    "failures": (
        """CREATE TABLE failures (
            user TEXT NOT NULL, notebook TEXT NOT NULL, error_name TEXT NOT NULL,
            runs INTEGER NOT NULL,
            PRIMARY KEY (user, notebook, error_name)
        ) WITHOUT ROWID""",
        FAILURES_SQL,
    ),
}

# Each batch's rows folded into the tables: one grouped upsert per table.
_UPDATES = {
    "activity": f"INSERT INTO activity {activity_sql(NEW_ROWS)}"
    " ON CONFLICT (user, notebook, minute) DO UPDATE SET"
    " events = events + excluded.events,"
    " first_ms = min(first_ms, excluded.first_ms),"
    " last_ms = max(last_ms, excluded.last_ms)",
    "executions": f"INSERT INTO executions {executions_sql(NEW_ROWS)}"
    " ON CONFLICT (user, notebook, cell_id) DO UPDATE SET"
    " runs = runs + excluded.runs,"
    " failures = failures + excluded.failures,"
    " last_failure = coalesce("
    "max(last_failure, excluded.last_failure), last_failure, excluded.last_failure)",
    "failures": f"INSERT INTO failures {failures_sql(NEW_ROWS)}"
    " ON CONFLICT (user, notebook, error_name) DO UPDATE SET runs = runs + excluded.runs",
}

# The rule each table is counted with; a table of a lower version is counted again.
# executions, failures 2: runs and failures follow the execution outcomes.
VERSIONS = {"activity": 1, "executions": 2, "failures": 2}
_VERSIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS summary_versions ("
    "name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
)

_INDEXES = "CREATE INDEX IF NOT EXISTS events_type ON events (type, user, notebook, time);"

# What stores of jelai 0.1 development builds kept instead: per-event
# triggers (they would count each event twice beside `update_summaries`) and
# a computed column with its index.
_RETIRED = (
    "DROP TRIGGER IF EXISTS events_activity",
    "DROP TRIGGER IF EXISTS events_count_runs",
    "DROP TRIGGER IF EXISTS events_count_failures",
    "DROP INDEX IF EXISTS events_runs",
)


def add_analytics_schema(conn: sqlite3.Connection) -> None:
    """Brings a store opened for writing (autocommit mode) up to date; see the module."""
    try:
        conn.executescript(_INDEXES)
        conn.execute(_VERSIONS_TABLE)
        for name, (create, fill) in _TABLES.items():
            # One transaction: the table is filled from every event stored so far.
            conn.execute("BEGIN IMMEDIATE")
            try:
                if name == "activity":
                    for statement in _RETIRED:
                        conn.execute(statement)
                if has_table(conn, name) and not is_current(conn, name):
                    conn.execute(f"DROP TABLE {name}")
                if not has_table(conn, name):
                    conn.execute(create)
                    conn.execute(f"INSERT INTO {name} {fill}")
                    conn.execute(
                        "INSERT OR REPLACE INTO summary_versions (name, version) VALUES (?, ?)",
                        (name, VERSIONS[name]),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.OperationalError:
        pass  # too old an SQLite, or another server is migrating it right now


def update_summaries(conn: sqlite3.Connection, after_rowid: int) -> None:
    """Folds the rows stored after `after_rowid` into the tables there are.

    Runs inside the transaction that stored them, which holds the write
    lock: a table another server creates (and fills) later cannot miss them.
    """
    for name, statement in _UPDATES.items():
        if has_table(conn, name) and is_current(conn, name):
            conn.execute(statement, (after_rowid,))


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def is_current(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the kept table `name` was counted with today's rule (`VERSIONS`)."""
    row = None
    if has_table(conn, "summary_versions"):
        query = "SELECT version FROM summary_versions WHERE name = ?"
        row = conn.execute(query, (name,)).fetchone()
    # A table kept before versions were recorded was counted with rule 1.
    return (1 if row is None else row[0]) >= VERSIONS[name]


def current_table(conn: sqlite3.Connection, name: str, fallback: str) -> str:
    """The kept table when counted with today's rule, else its query over the events."""
    return name if has_table(conn, name) and is_current(conn, name) else f"({fallback})"
