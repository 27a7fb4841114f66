"""Reads one event store into the metrics of `analytics_rules`.

Each event counts under the notebook it belongs to now, renames followed
(`analytics_lineage`). Nearly everything comes from the small tables
`analytics_schema` keeps:
active time, event counts and activity buckets from `activity`, runs and
failures by cell from `executions`, error names from `failures`; help
requests and the stuck rule's recent runs from the `events_type` index. No
event's JSON is parsed, except the few recent runs the stuck rule reads and
on a store too old to have that schema, where the same numbers are computed
from the events.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .analytics_lineage import Tables, follow_renames
from .analytics_rules import (
    HELP_TYPES,
    Options,
    Stats,
    Stuck,
    buckets,
    find_stuck,
    iso,
    minutes_active_ms,
)
from .analytics_schema import (
    ACTIVITY_SQL,
    EXECUTIONS_SQL,
    FAILURES_SQL,
    MS_SQL,
    OUTCOME_SQL,
    current_table,
)
from .classdata import Source, open_readonly

_HELP_IN = f"type IN ({', '.join('?' * len(HELP_TYPES))})"


@dataclass
class Partial:
    """What one store contributes to a summary."""

    stats: dict[tuple[str, str | None], Stats] = field(default_factory=dict)
    # The `user` values in the rows of each (label, notebook): one for a store
    # that was not tampered with.
    row_users: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)
    # Pairs with a cell that failed often enough for the stuck rule: the time
    # of each such cell's last failure.
    failing: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)
    # (notebook, cell) -> [executions, failures, users with a failure]
    cells: dict[tuple[str | None, str | None], list[Any]] = field(default_factory=dict)
    # bucket start (ms) -> events, and -> the users active in it
    activity: Counter[int] = field(default_factory=Counter)
    active_users: dict[int, set[str]] = field(default_factory=dict)

    def pair(self, label: str, notebook: str | None) -> Stats:
        key = (label, notebook)
        if key not in self.stats:
            self.stats[key] = Stats(user=label, notebook=notebook)
        return self.stats[key]


def read_store(source: Source, notebook: str | None, options: Options) -> Partial:
    """The metrics of one store's rows (all of them, or `source.user`'s)."""
    partial = Partial()
    if not source.path.exists():
        return partial  # a student who has not done anything yet
    conn = open_readonly(source.path)
    try:
        tables = follow_renames(
            conn,
            Tables(
                events="events",
                activity=current_table(conn, "activity", ACTIVITY_SQL),
                executions=current_table(conn, "executions", EXECUTIONS_SQL),
                failures=current_table(conn, "failures", FAILURES_SQL),
            ),
        )
        _read_activity(conn, source, notebook, tables.activity, options, partial)
        _read_help(conn, source, notebook, tables.events, partial)
        _read_executions(conn, source, notebook, tables.executions, options, partial)
        _read_failures(conn, source, notebook, tables.failures, partial)
        recent_ms = round(options.stuck_recent_seconds * 1000)
        for key, last_failures in partial.failing.items():
            stats = partial.stats[key]
            # Only a cell that failed in the last minutes can make the student stuck.
            if stats.last_ms is None or max(last_failures) < iso(stats.last_ms - recent_ms):
                continue
            users = partial.row_users.get(key, set())
            stats.stuck = _stuck(conn, tables.events, users, key[1], stats.last_ms, options)
    finally:
        conn.close()
    return partial


def _where(source: Source, notebook: str | None, *terms: str) -> tuple[str, list[Any]]:
    conditions, params = list(terms), []
    if source.user is not None:
        conditions.append("user = ?")
        params.append(source.user)
    if notebook is not None:
        conditions.append("notebook = ?")
        params.append(notebook)
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


def _ints(text: str) -> list[int]:
    return list(map(int, text.split(",")))


def _read_activity(
    conn: sqlite3.Connection,
    source: Source,
    notebook: str | None,
    activity: str,
    options: Options,
    partial: Partial,
) -> None:
    where, params = _where(source, notebook)
    # Three lists per (user, notebook), one string each: building a Python row
    # per minute costs more than SQLite's work. The three are fed the same
    # rows in the same order, so they line up.
    query = (
        "SELECT user, notebook, group_concat(first_ms), group_concat(last_ms),"
        f" group_concat(events) FROM {activity}{where} GROUP BY user, notebook"
    )
    idle_ms = round(options.idle_seconds * 1000)
    width_ms = options.bucket_seconds * 1000
    for user, book, firsts_text, lasts_text, counts_text in conn.execute(query, params):
        firsts, lasts, counts = _ints(firsts_text), _ints(lasts_text), _ints(counts_text)
        if any(map(int.__gt__, firsts, firsts[1:])):
            firsts, lasts, counts = map(list, zip(*sorted(zip(firsts, lasts, counts))))
        label = source.owner or user
        key = (label, book or None)
        partial.row_users.setdefault(key, set()).add(user)
        stats = partial.pair(*key)
        stats.events += sum(counts)
        stats.active_ms += minutes_active_ms(firsts, lasts, idle_ms)
        stats.first_ms = firsts[0] if stats.first_ms is None else min(stats.first_ms, firsts[0])
        stats.last_ms = lasts[-1] if stats.last_ms is None else max(stats.last_ms, lasts[-1])
        for start, count in buckets(firsts, counts, width_ms).items():
            partial.activity[start] += count
            partial.active_users.setdefault(start, set()).add(label)


def _read_help(
    conn: sqlite3.Connection, source: Source, notebook: str | None, events: str, partial: Partial
) -> None:
    where, params = _where(source, notebook, _HELP_IN)
    query = f"SELECT user, notebook, type, count(*) FROM {events}{where} GROUP BY 1, 2, 3"
    for user, book, kind, count in conn.execute(query, [*HELP_TYPES, *params]):
        stats = partial.pair(source.owner or user, book or None)
        if kind == "chat.exchange":
            stats.questions += count
        else:
            stats.hints += count


def _read_executions(
    conn: sqlite3.Connection,
    source: Source,
    notebook: str | None,
    table: str,
    options: Options,
    partial: Partial,
) -> None:
    where, params = _where(source, notebook)
    query = f"SELECT user, notebook, cell_id, runs, failures, last_failure FROM {table}{where}"
    cells = partial.cells
    for user, book, cell, runs, fails, last_failure in conn.execute(query, params):
        label, book, cell = source.owner or user, book or None, cell or None
        stats = partial.pair(label, book)
        stats.executions += runs
        stats.failures += fails
        stats.cells_attempted += 1
        entry = cells.get((book, cell))
        if entry is None:
            entry = cells[(book, cell)] = [0, 0, set()]
        entry[0] += runs
        if fails:
            entry[1] += fails
            entry[2].add(label)
            if fails >= options.stuck_failures:
                partial.failing.setdefault((label, book), []).append(last_failure)


def _read_failures(
    conn: sqlite3.Connection, source: Source, notebook: str | None, table: str, partial: Partial
) -> None:
    where, params = _where(source, notebook)
    query = f"SELECT user, notebook, error_name, runs FROM {table}{where}"
    for user, book, name, runs in conn.execute(query, params):
        partial.pair(source.owner or user, book or None).errors[name or "(unnamed)"] += runs


def _stuck(
    conn: sqlite3.Connection,
    events: str,
    users: set[str],
    notebook: str | None,
    last_ms: int,
    options: Options,
) -> Stuck | None:
    reach_ms = round((options.stuck_span_seconds + options.stuck_recent_seconds) * 1000)
    since = iso(last_ms - reach_ms)
    rows: list[tuple[int, str, str | None, str | None]] = []
    for user in users:
        rows += conn.execute(
            f"SELECT {MS_SQL.format('time')}, type, cell_id, {OUTCOME_SQL}"
            f" FROM {events} WHERE type = 'cell.execute' AND user = ? AND notebook IS ?"
            f" AND time >= ? UNION ALL SELECT {MS_SQL.format('time')}, type, cell_id, NULL"
            f" FROM {events} WHERE {_HELP_IN} AND user = ? AND notebook IS ? AND time >= ?",
            (user, notebook, since, *HELP_TYPES, user, notebook, since),
        ).fetchall()
    # Help before a failure at the same millisecond: the rule reads "since".
    rows.sort(key=lambda row: (row[0], row[1] == "cell.execute"))
    return find_stuck(rows, options, last_ms)
