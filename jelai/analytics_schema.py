"""What the event store keeps for analytics, beside the events themselves.

Three small tables, kept by triggers as events are stored (only rows really
inserted fire them, so a retried batch never counts twice), so a class
summary reads a few rows per student and notebook instead of every event:

- `activity`: per user, notebook and minute, the events and the first and
  last event time (ms). Active time is exact from it: gaps inside a minute
  are shorter than any idle threshold of a minute or more, and the gap
  between two minutes runs from the last event of one to the first of the
  next.
- `executions`: per user, notebook and cell, runs, failures and the last
  failure's time.
- `failures`: per user, notebook and error name, failed runs.

`error_name` is a VIRTUAL column (computed from the JSON, never stored): the
error of a failed run ('' if unnamed), NULL for any other event. With it,
`events_runs` holds each run's cell and outcome by time, for the stuck rule;
`events_type` counts help requests.

`add_analytics_schema` runs whenever the store is opened for writing; a store
written before it existed is brought up to date (each table filled from the
events once). With an SQLite too old for it (before 3.31) the store stays as
it was, and analytics computes the same numbers from the events: the
`*_SQL` queries below are both the fill and that fallback.
"""

from __future__ import annotations

import sqlite3

# Unix milliseconds of a stored time: integers are what analytics subtracts.
MS_SQL = "CAST(round((julianday({}) - 2440587.5) * 86400000) AS INTEGER)"
ERROR_NAME_SQL = (
    "CASE WHEN type = 'cell.execute' AND json_extract(event, '$.data.success') = 0"
    " THEN coalesce(json_extract(event, '$.data.error.name'), '') END"
)

# Keys hold '' for a missing notebook or cell: NULLs are never equal in a key.
ACTIVITY_SQL = (
    "SELECT user, ifnull(notebook, '') AS notebook, substr(time, 1, 16) AS minute,"
    f" count(*) AS events, {MS_SQL.format('min(time)')} AS first_ms,"
    f" {MS_SQL.format('max(time)')} AS last_ms FROM events GROUP BY 1, 2, 3"
)
_RUNS = f"SELECT user, notebook, cell_id, time, {ERROR_NAME_SQL} AS failed_as FROM events"
EXECUTIONS_SQL = (
    "SELECT user, ifnull(notebook, '') AS notebook, ifnull(cell_id, '') AS cell_id,"
    " count(*) AS runs, count(failed_as) AS failures,"
    " max(CASE WHEN failed_as IS NOT NULL THEN time END) AS last_failure"
    f" FROM ({_RUNS} WHERE type = 'cell.execute') GROUP BY 1, 2, 3"
)
FAILURES_SQL = (
    "SELECT user, ifnull(notebook, '') AS notebook, failed_as AS error_name, count(*) AS runs"
    f" FROM ({_RUNS} WHERE type = 'cell.execute') WHERE failed_as IS NOT NULL GROUP BY 1, 2, 3"
)

_TABLES = {
    "activity": (
        """CREATE TABLE activity (
            user TEXT NOT NULL, notebook TEXT NOT NULL, minute TEXT NOT NULL,
            events INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
            PRIMARY KEY (user, notebook, minute)
        ) WITHOUT ROWID""",
        f"INSERT INTO activity {ACTIVITY_SQL}",
        f"""CREATE TRIGGER events_activity AFTER INSERT ON events BEGIN
            INSERT INTO activity VALUES (
                NEW.user, ifnull(NEW.notebook, ''), substr(NEW.time, 1, 16), 1,
                {MS_SQL.format("NEW.time")}, {MS_SQL.format("NEW.time")}
            ) ON CONFLICT (user, notebook, minute) DO UPDATE SET
                events = events + 1,
                first_ms = min(first_ms, excluded.first_ms),
                last_ms = max(last_ms, excluded.last_ms);
        END""",
    ),
    "executions": (
        """CREATE TABLE executions (
            user TEXT NOT NULL, notebook TEXT NOT NULL, cell_id TEXT NOT NULL,
            runs INTEGER NOT NULL, failures INTEGER NOT NULL, last_failure TEXT,
            PRIMARY KEY (user, notebook, cell_id)
        ) WITHOUT ROWID""",
        f"INSERT INTO executions {EXECUTIONS_SQL}",
        """CREATE TRIGGER events_count_runs AFTER INSERT ON events
        WHEN NEW.type = 'cell.execute' BEGIN
            INSERT INTO executions VALUES (
                NEW.user, ifnull(NEW.notebook, ''), ifnull(NEW.cell_id, ''), 1,
                NEW.error_name IS NOT NULL,
                CASE WHEN NEW.error_name IS NOT NULL THEN NEW.time END
            ) ON CONFLICT (user, notebook, cell_id) DO UPDATE SET
                runs = runs + 1,
                failures = failures + excluded.failures,
                last_failure = coalesce(
                    max(last_failure, excluded.last_failure), last_failure, excluded.last_failure
                );
        END""",
    ),
    "failures": (
        """CREATE TABLE failures (
            user TEXT NOT NULL, notebook TEXT NOT NULL, error_name TEXT NOT NULL,
            runs INTEGER NOT NULL,
            PRIMARY KEY (user, notebook, error_name)
        ) WITHOUT ROWID""",
        f"INSERT INTO failures {FAILURES_SQL}",
        """CREATE TRIGGER events_count_failures AFTER INSERT ON events
        WHEN NEW.error_name IS NOT NULL BEGIN
            INSERT INTO failures SELECT NEW.user, ifnull(NEW.notebook, ''), NEW.error_name, 1
            WHERE true ON CONFLICT (user, notebook, error_name) DO UPDATE SET runs = runs + 1;
        END""",
    ),
}

_INDEXES = """
CREATE INDEX IF NOT EXISTS events_type ON events (type, user, notebook, time);
CREATE INDEX IF NOT EXISTS events_runs
    ON events (user, notebook, time, cell_id, error_name) WHERE type = 'cell.execute';
"""


def add_analytics_schema(conn: sqlite3.Connection) -> None:
    """Brings a store opened for writing (autocommit mode) up to date; see the module."""
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_xinfo(events)")}
        if "error_name" not in columns:
            conn.execute(
                "ALTER TABLE events ADD COLUMN error_name TEXT"
                f" GENERATED ALWAYS AS ({ERROR_NAME_SQL}) VIRTUAL"
            )
        conn.executescript(_INDEXES)
        for name, statements in _TABLES.items():
            if has_table(conn, name):
                continue
            # One transaction: no event may land between the fill and the trigger.
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not has_table(conn, name):
                    for statement in statements:
                        conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.OperationalError:
        pass  # too old an SQLite, or another server is migrating it right now


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def has_index(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None
