"""Reads one event store into the metrics of `analytics_rules`.

Nearly everything comes from the small tables the store keeps per batch
(`store.summaries`): active time, event counts and activity buckets from
`activity`, runs and failures by cell from `executions`, error names from
`failures`; help requests and the stuck rule's recent runs from the
`events_type` index. No event's JSON is parsed: the columns the store reads
out of each event at ingest are enough. Every query is SQLAlchemy Core and
reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

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
from .classdata import Source, reading
from .store.tables import activity, events, executions, failures


@dataclass
class Partial:
    """What one store contributes to a summary."""

    stats: dict[tuple[str, str | None], Stats] = field(default_factory=dict)
    # The `user` values in the rows of each (label, notebook): one for a store
    # that was not tampered with.
    row_users: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)
    # Pairs with a cell that failed often enough for the stuck rule: the time
    # (Unix ms) of each such cell's last failure.
    failing: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)
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
    with reading(source) as conn:
        if conn is None:
            return partial  # a student who has not done anything yet
        _read_activity(conn, source, notebook, options, partial)
        _read_help(conn, source, notebook, partial)
        _read_executions(conn, source, notebook, options, partial)
        _read_failures(conn, source, notebook, partial)
        recent_ms = round(options.stuck_recent_seconds * 1000)
        for key, last_failures in partial.failing.items():
            stats = partial.stats[key]
            # Only a cell that failed in the last minutes can make the student stuck.
            if stats.last_ms is None or max(last_failures) < stats.last_ms - recent_ms:
                continue
            users = partial.row_users.get(key, set())
            stats.stuck = _stuck(conn, users, key[1], stats.last_ms, options)
    return partial


def _where(query: sa.Select[Any], table: sa.Table, source: Source, notebook: str | None) -> Any:
    if source.user is not None:
        query = query.where(table.c.user == source.user)
    if notebook is not None:
        query = query.where(table.c.notebook == notebook)
    return query


def _ints(text: str) -> list[int]:
    return list(map(int, text.split(",")))


def _joined(column: sa.Column[Any]) -> Any:
    # group_concat (SQLite) or string_agg (PostgreSQL) of the values as text.
    return sa.func.aggregate_strings(sa.cast(column, sa.Text), ",")


def _read_activity(
    conn: sa.Connection, source: Source, notebook: str | None, options: Options, partial: Partial
) -> None:
    # Three lists per (user, notebook), one string each: building a Python row
    # per minute costs more than the database's work. The three are fed the
    # same rows in the same order, so they line up.
    a = activity.c
    query = sa.select(
        a.user, a.notebook, _joined(a.first_ms), _joined(a.last_ms), _joined(a.events)
    ).group_by(a.user, a.notebook)
    idle_ms = round(options.idle_seconds * 1000)
    width_ms = options.bucket_seconds * 1000
    for user, book, firsts_text, lasts_text, counts_text in conn.execute(
        _where(query, activity, source, notebook)
    ):
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


def _read_help(conn: sa.Connection, source: Source, notebook: str | None, partial: Partial) -> None:
    e = events.c
    query = (
        sa.select(e.user, e.notebook, e.type, sa.func.count())
        .where(e.type.in_(HELP_TYPES))
        .group_by(e.user, e.notebook, e.type)
    )
    for user, book, kind, count in conn.execute(_where(query, events, source, notebook)):
        stats = partial.pair(source.owner or user, book or None)
        if kind == "chat.exchange":
            stats.questions += count
        else:
            stats.hints += count


def _read_executions(
    conn: sa.Connection, source: Source, notebook: str | None, options: Options, partial: Partial
) -> None:
    x = executions.c
    query = sa.select(x.user, x.notebook, x.cell_id, x.runs, x.failures, x.last_failure_ms)
    cells = partial.cells
    for user, book, cell, runs, fails, last_failure in conn.execute(
        _where(query, executions, source, notebook)
    ):
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
    conn: sa.Connection, source: Source, notebook: str | None, partial: Partial
) -> None:
    f = failures.c
    query = sa.select(f.user, f.notebook, f.error_name, f.runs)
    for user, book, name, runs in conn.execute(_where(query, failures, source, notebook)):
        partial.pair(source.owner or user, book or None).errors[name or "(unnamed)"] += runs


def _stuck(
    conn: sa.Connection,
    users: set[str],
    notebook: str | None,
    last_ms: int,
    options: Options,
) -> Stuck | None:
    reach_ms = round((options.stuck_span_seconds + options.stuck_recent_seconds) * 1000)
    e = events.c
    # Runs (an aborted cell never ran) and help requests of the last minutes.
    query = sa.select(e.time_ms, e.type, e.cell_id, e.outcome).where(
        e.user.in_(sorted(users)),
        e.notebook.is_(None) if notebook is None else e.notebook == notebook,
        e.time >= iso(last_ms - reach_ms),
        sa.or_(
            sa.and_(e.type == "cell.execute", e.outcome != "aborted"),
            e.type.in_(HELP_TYPES),
        ),
    )
    rows = [(ms, kind, cell, outcome == "error") for ms, kind, cell, outcome in conn.execute(query)]
    # Help before a failure at the same millisecond: the rule reads "since".
    rows.sort(key=lambda row: (row[0], row[1] == "cell.execute"))
    return find_stuck(rows, options, last_ms)
