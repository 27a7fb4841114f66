"""Analytics across renames: a store's events and kept tables read with each
event under the notebook it belongs to now (the rule is `renames.py`'s).

A store without renames is read as it is. In a store with renames, the
stretches of paths that belong to another notebook now (`Lineage.segments`)
go into a temporary table of the connection (a read-only connection may
hold one); the kept tables' rows of those paths are left out and counted
again from their events, each under its current path, and both are summed
per key, so a minute or a cell seen under two names counts once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .analytics_schema import activity_sql, executions_sql, failures_sql
from .renames import read_lineage

_CREATE = (
    "CREATE TEMP TABLE IF NOT EXISTS jelai_lineage (user TEXT NOT NULL, notebook TEXT NOT NULL,"
    " since TEXT NOT NULL, until TEXT NOT NULL, current TEXT NOT NULL)"
)
# The notebook an event (alias `e`) belongs to now.
_CURRENT = (
    "coalesce((SELECT l.current FROM temp.jelai_lineage AS l WHERE l.user = e.user"
    " AND l.notebook = e.notebook AND e.time >= l.since AND e.time < l.until), e.notebook)"
)
_COLUMNS = f"e.user AS user, {_CURRENT} AS notebook, e.time AS time, e.type AS type,"
_COLUMNS += " e.cell_id AS cell_id, e.event AS event"


def _renamed(alias: str) -> str:
    """Whether the row `alias` is of a path some of whose events moved."""
    return (
        "EXISTS (SELECT 1 FROM temp.jelai_lineage AS l"
        f" WHERE l.user = {alias}.user AND l.notebook = {alias}.notebook)"
    )


@dataclass(frozen=True)
class Tables:
    """What analytics reads from one store: each a table or a subquery."""

    events: str
    activity: str
    executions: str
    failures: str


def follow_renames(conn: sqlite3.Connection, tables: Tables) -> Tables:
    """`tables` as they read with renames followed (the same when there are none)."""
    segments = read_lineage(conn).segments()
    if not segments:
        return tables
    conn.execute(_CREATE)
    conn.execute("DELETE FROM temp.jelai_lineage")
    conn.executemany(
        "INSERT INTO temp.jelai_lineage VALUES (?, ?, ?, ?, ?)",
        [(s.user, s.notebook, s.since, s.until, s.current) for s in segments],
    )
    moved = f"(SELECT {_COLUMNS} FROM events AS e WHERE {_renamed('e')})"

    def kept(table: str) -> str:
        return f"SELECT * FROM {table} AS k WHERE NOT {_renamed('k')}"

    return Tables(
        events=f"(SELECT {_COLUMNS} FROM events AS e)",
        activity=(
            "(SELECT user, notebook, minute, sum(events) AS events, min(first_ms) AS first_ms,"
            f" max(last_ms) AS last_ms FROM ({kept(tables.activity)}"
            f" UNION ALL {activity_sql(events=moved)}) GROUP BY 1, 2, 3)"
        ),
        executions=(
            "(SELECT user, notebook, cell_id, sum(runs) AS runs, sum(failures) AS failures,"
            f" max(last_failure) AS last_failure FROM ({kept(tables.executions)}"
            f" UNION ALL {executions_sql(events=moved)}) GROUP BY 1, 2, 3)"
        ),
        failures=(
            "(SELECT user, notebook, error_name, sum(runs) AS runs"
            f" FROM ({kept(tables.failures)} UNION ALL {failures_sql(events=moved)})"
            " GROUP BY 1, 2, 3)"
        ),
    )
