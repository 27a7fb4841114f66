"""The stuck rule (`rules.find_stuck`) for each pair with a cell that failed
in its last minutes, over that pair's recent runs and help requests read
from the `events_type` index: one statement for the class on PostgreSQL
(`_RECENT_ROWS`), one prepared statement per path on SQLite
(`_RECENT_OF_PATH`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ...store.tables import events
from ..lineage import Moved
from ..rules import HELP_TYPES, Options, find_stuck, iso
from ..sources import Source
from .partial import Partial

# The stuck rule's rows: runs and help requests of the paths and times in the
# parameter `wanted` (PostgreSQL: a JSON list of {"user", "notebook", "since"}
# read as a table with json_to_recordset and joined to the `events_type`
# index, one statement for the class; SQLite: one statement per path).
_RECENT_COLUMNS = (
    events.c.seq,
    events.c.user,
    events.c.notebook,
    events.c.time,
    events.c.time_ms,
    events.c.type,
    events.c.cell_id,
    events.c.outcome,
)
_RECENT_TYPES = events.c.type.in_(("cell.execute", *HELP_TYPES))


def _recent_rows() -> sa.Select[Any]:
    paths = (
        sa.func.json_to_recordset(sa.bindparam("wanted", type_=postgresql.JSON))
        .table_valued(
            sa.column("user", sa.Text),
            sa.column("notebook", sa.Text),
            sa.column("since", sa.Text),
            name="wanted",
        )
        .render_derived(with_types=True)
    )
    e, w = events.c, paths.c
    same_path = sa.and_(e.user == w.user, e.notebook == w.notebook, e.time >= w.since)
    joined = paths.join(events, same_path)
    return sa.select(*_RECENT_COLUMNS).select_from(joined).where(_RECENT_TYPES)


_RECENT_ROWS = _recent_rows()
# The same for one path (SQLite: one query per path).
_RECENT_OF_PATH = sa.select(*_RECENT_COLUMNS).where(
    _RECENT_TYPES,
    events.c.user == sa.bindparam("user"),
    events.c.notebook == sa.bindparam("notebook"),
    events.c.time >= sa.bindparam("since"),
)
# The same for the events recorded without a notebook (one query per user).
_RECENT_WITHOUT_NOTEBOOK = sa.select(*_RECENT_COLUMNS).where(
    _RECENT_TYPES,
    events.c.user == sa.bindparam("user"),
    events.c.notebook.is_(None),
    events.c.time >= sa.bindparam("since"),
)


def read_stuck(
    conn: sa.Connection, source: Source, moved: Moved, options: Options, partial: Partial
) -> None:
    """The stuck rule for every pair with a cell that failed in its last
    minutes. Their recent rows are read in one query (`_recent_rows`), then
    given to their pair: the rows one pair's own query would have read."""
    recent_ms = round(options.stuck_recent_seconds * 1000)
    reach_ms = round((options.stuck_span_seconds + options.stuck_recent_seconds) * 1000)
    # (label, notebook) -> (users, paths, since)
    wanted: dict[tuple[str, str | None], tuple[set[str], set[str | None], str]] = {}
    last: dict[tuple[str, str | None], int] = {}
    for key, last_failures in partial.failing.items():
        stats = partial.stats[key]
        # Only a cell that failed in the last minutes can make the student stuck.
        if stats.last_ms is None or max(last_failures) < stats.last_ms - recent_ms:
            continue
        notebook = key[1]
        # The notebook's paths: itself, and those of its events before renames.
        paths: set[str | None] = {notebook}
        if moved.lineage is not None and notebook is not None:
            paths = set(moved.lineage.paths_of(notebook))
        users = partial.row_users.get(key, set())
        wanted[key] = (users, paths, iso(stats.last_ms - reach_ms))
        last[key] = stats.last_ms
    rows: dict[tuple[str, str | None], list[tuple[int, str, Any, Any]]] = {k: [] for k in wanted}
    paths_since = []
    queries = []
    for key, (users, paths, since) in wanted.items():
        for user in sorted(users):
            if key[1] is None:
                queries.append((_RECENT_WITHOUT_NOTEBOOK, {"user": user, "since": since}))
                continue
            paths_since += [
                {"user": user, "notebook": path, "since": since} for path in sorted(paths)
            ]
    if paths_since and conn.dialect.name == "postgresql":
        queries.append((_RECENT_ROWS, {"wanted": paths_since}))
    else:
        # SQLite's planner may scan the events for each row of the JSON list:
        # one statement per path instead (the same statement, prepared once).
        queries += [(_RECENT_OF_PATH, params) for params in paths_since]
    seen: set[int] = set()  # a row two pairs' paths share (renames) counts once
    for query, params in queries:
        for seq, user, book, time, ms, kind, cell, outcome in conn.execute(query, params):
            now = book if moved.lineage is None else moved.lineage.current(user, book, time)
            key = (source.owner or user, now)
            if key not in wanted or seq in seen:
                continue
            seen.add(seq)
            users, paths, since = wanted[key]
            if user not in users or book not in paths or time < since:
                continue  # another pair's row, or a path that was this notebook at another time
            rows[key].append((ms, kind, cell, outcome))
    for key, found in rows.items():
        # Help before a failure at the same millisecond: the rule reads "since".
        found.sort(key=lambda row: (row[0], row[1] == "cell.execute"))
        partial.stats[key].stuck = find_stuck(found, options, last[key])
