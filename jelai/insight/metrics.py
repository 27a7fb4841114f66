"""Reads one event store into the metrics of `rules`.

Each event counts under the notebook it belongs to now, renames followed
(`lineage`). Nearly everything comes from the small tables the store keeps
per batch (`store.summaries`): event counts, first and last activity,
questions, hints and the hourly activity chart from `hours`; active time
from `activity` (per minute), remembered per notebook while its events stay
as many; runs and failures from `executions`, counted per pair and per cell
by the database; error names from `failures`; the stuck rule's recent runs
from the `events_type` index. No event's JSON is parsed: the columns the
store reads out of each event at ingest are enough. Every query is
SQLAlchemy Core and reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..record.outcomes import is_failure, is_run
from ..store.tables import activity, events, executions, failures, hours
from .lineage import Moved, moved_events
from .rules import (
    HELP_TYPES,
    Options,
    Stats,
    buckets,
    find_stuck,
    iso,
    minutes_active_ms,
)
from .sources import Source, reading

_MINUTE_MS = 60_000


def _joined(column: sa.Column[Any]) -> Any:
    # group_concat (SQLite) or string_agg (PostgreSQL) of the values as text.
    return sa.func.aggregate_strings(sa.cast(column, sa.Text), ",")


# The queries, built once; `_where` adds the user, notebook and renamed paths.
# Three lists per (user, notebook), one string each: building a Python row
# per minute costs more than the database's work. The three are fed the same
# rows in the same order, so they line up.
_ACTIVITY = sa.select(
    activity.c.user,
    activity.c.notebook,
    _joined(activity.c.first_ms),
    _joined(activity.c.last_ms),
    _joined(activity.c.events),
).group_by(activity.c.user, activity.c.notebook)
_h = hours.c
_PAIR_HOURS = sa.select(
    _h.user,
    _h.notebook,
    sa.func.sum(_h.events),
    sa.func.min(_h.first_ms),
    sa.func.max(_h.last_ms),
    sa.func.sum(_h.questions),
    sa.func.sum(_h.hints),
).group_by(_h.user, _h.notebook)


@functools.cache
def _hours_by_bucket(dialect: str, width_ms: int) -> sa.Select[Any]:
    """Per bucket of `width_ms` (whole hours): its start (Unix ms), events, and
    the users active in it as a JSON list. The width is written into the SQL
    (an int), so the GROUP BY repeats the very expression of the SELECT list."""
    width = sa.literal_column(str(int(width_ms)))
    start = _h.hour - ((_h.hour % width) + width) % width
    users = sa.func.json_agg if dialect == "postgresql" else sa.func.json_group_array
    return sa.select(start, sa.func.sum(_h.events), users(_h.user.distinct())).group_by(start)


_HOUR_MS = 3_600_000
_HELP = (
    sa.select(events.c.user, events.c.notebook, events.c.type, sa.func.count())
    .where(events.c.type.in_(HELP_TYPES))
    .group_by(events.c.user, events.c.notebook, events.c.type)
)


def _only(query: sa.Select[Any], table: sa.Table) -> sa.Select[Any]:
    """`query` for the (user, notebook) pairs in the parameter `only`."""
    pairs = sa.bindparam("only", expanding=True)
    return query.where(sa.tuple_(table.c.user, table.c.notebook).in_(pairs))


_ACTIVITY_OF = _only(_ACTIVITY, activity)
_HELP_OF = _only(_HELP, events)
_x = executions.c
# The kept cells of the pairs that moved runs now belong to.
_EXECUTIONS_OF = sa.select(
    _x.user, _x.notebook, _x.cell_id, _x.runs, _x.failures, _x.last_failure_ms
).where(sa.tuple_(_x.user, _x.notebook).in_(sa.bindparam("touched", expanding=True)))
_OFTEN = _x.failures >= sa.bindparam("stuck_failures", type_=sa.Integer)
# Per pair: runs, failures, cells tried, and the last failure of the cells
# that failed often enough for the stuck rule (None if none did).
_RUNS_BY_PAIR = sa.select(
    _x.user,
    _x.notebook,
    sa.func.sum(_x.runs),
    sa.func.sum(_x.failures),
    sa.func.count(),
    sa.func.max(sa.case((_OFTEN, _x.last_failure_ms))),
).group_by(_x.user, _x.notebook)


@functools.cache
def _runs_by_cell(dialect: str) -> sa.Select[Any]:
    """Per cell: runs, failures, and the users with a failure as a JSON list
    (`json_agg` on PostgreSQL, `json_group_array` on SQLite)."""
    users = sa.func.json_agg if dialect == "postgresql" else sa.func.json_group_array
    return sa.select(
        _x.notebook,
        _x.cell_id,
        sa.func.sum(_x.runs),
        sa.func.sum(_x.failures),
        users(_x.user).filter(_x.failures > 0),
    ).group_by(_x.notebook, _x.cell_id)


_FAILURES = sa.select(failures.c.user, failures.c.notebook, failures.c.error_name, failures.c.runs)
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
        moved = moved_events(conn, source.user, source.exclude)
        counted = _read_activity(conn, source, notebook, moved, options, partial)
        _read_help(conn, source, notebook, moved, partial, counted)
        _read_executions(conn, source, notebook, moved, options, partial)
        _read_failures(conn, source, notebook, moved, partial)
        _read_stuck(conn, source, moved, options, partial)
    return partial


def _where(
    query: sa.Select[Any], table: sa.Table, source: Source, notebook: str | None, moved: Moved
) -> tuple[Any, dict[str, Any]]:
    """The query for the source's user and the notebook, without the moved
    paths, and its parameters. Built once per shape (SQLAlchemy caches the
    SQL of a statement it has seen, but building one costs as much)."""
    params: dict[str, Any] = {"user": source.user, "notebook": notebook}
    if moved:
        params["moved"] = moved.paths
    if source.exclude:
        params["exclude"] = list(source.exclude)
    shape = (source.user is not None, bool(source.exclude), notebook is not None, bool(moved))
    return _shaped(query, table, *shape), params


_SHAPES: dict[tuple[Any, ...], Any] = {}


def _shaped(
    query: sa.Select[Any], table: sa.Table, user: bool, exclude: bool, notebook: bool, moved: bool
) -> Any:
    key = (id(query), user, exclude, notebook, moved)
    shaped = _SHAPES.get(key)
    if shaped is None:
        shaped = query
        if user:
            shaped = shaped.where(table.c.user == sa.bindparam("user"))
        if exclude:
            shaped = shaped.where(table.c.user.not_in(sa.bindparam("exclude", expanding=True)))
        if notebook:
            shaped = shaped.where(table.c.notebook == sa.bindparam("notebook"))
        if moved:
            paths = sa.bindparam("moved", expanding=True)
            shaped = shaped.where(sa.tuple_(table.c.user, table.c.notebook).not_in(paths))
        _SHAPES[key] = shaped
    return shaped


def _ints(text: str) -> list[int]:
    return list(map(int, text.split(",")))


def _read_activity(
    conn: sa.Connection,
    source: Source,
    notebook: str | None,
    moved: Moved,
    options: Options,
    partial: Partial,
) -> bool:
    """Events, first and last activity, active time and the activity chart's
    buckets per pair. With buckets of whole hours (the chart's default) the
    totals come from `hours`, a row per hour, and the questions and hints
    with them (then True is returned); the active time from the minutes, for
    the pairs with new events since the last summary (`_ACTIVE`). Other
    buckets, and a store without `hours`, read every minute."""
    width_ms = options.bucket_seconds * 1000
    if width_ms % _HOUR_MS or not sa.inspect(conn).has_table(hours.name):
        rows = _minute_rows(conn.execute(*_where(_ACTIVITY, activity, source, notebook, moved)))
        if moved:
            rows = _with_moved_minutes(rows, moved.of(notebook))
        _add_minutes(partial, source, rows, options)
        return False
    # The pairs the moved events now belong to are read by the minute, as above.
    touched = sorted({(row.user, row.notebook or "") for row in moved.of(notebook)})
    apart = Moved(paths=sorted({*moved.paths, *touched}))
    totals: Counter[tuple[str, str]] = Counter()
    for user, book, count, first, last, questions, hints in conn.execute(
        *_where(_PAIR_HOURS, hours, source, notebook, apart)
    ):
        label = source.owner or user
        key = (label, book or None)
        partial.row_users.setdefault(key, set()).add(user)
        stats = partial.pair(*key)
        # int(): PostgreSQL sums BIGINTs as NUMERIC, read as Decimal.
        stats.events += int(count)
        stats.first_ms = first if stats.first_ms is None else min(stats.first_ms, first)
        stats.last_ms = last if stats.last_ms is None else max(stats.last_ms, last)
        stats.questions += int(questions)
        stats.hints += int(hints)
        totals[(user, book)] += int(count)
    by_bucket = _hours_by_bucket(conn.dialect.name, width_ms)
    for start, count, names in conn.execute(*_where(by_bucket, hours, source, notebook, apart)):
        users = set(names if isinstance(names, list) else json.loads(names))
        partial.activity[start] += int(count)
        partial.active_users.setdefault(start, set()).update(
            users if source.owner is None else {source.owner}
        )
    _add_active_time(conn, source, notebook, totals, options, partial)
    kept = sorted(set(touched) - set(moved.paths))
    rows = _minute_rows(conn.execute(_ACTIVITY_OF, {"only": kept})) if kept else []
    _add_minutes(partial, source, _with_moved_minutes(rows, moved.of(notebook)), options)
    return True


# (store, user, notebook) -> (events, idle ms, active ms): the active time of
# the pairs summarised before, kept while their events stay as many (a store
# only grows: a new event changes the count) and the idle time is the same.
_ACTIVE: dict[tuple[str, str, str], tuple[int, int, int]] = {}
_ACTIVE_MAX = 500_000  # entries; beyond this the memory is cleared
# Pairs per query when a few pairs' minutes are read again.
_PAIRS_CHUNK = 500


def _add_active_time(
    conn: sa.Connection,
    source: Source,
    notebook: str | None,
    totals: Counter[tuple[str, str]],
    options: Options,
    partial: Partial,
) -> None:
    """Adds each pair's active time, computed from its minutes when its event
    count (from `hours`, `totals`) differs from the remembered one."""
    idle_ms = round(options.idle_seconds * 1000)
    store = source.url or str(source.path)
    if len(_ACTIVE) > _ACTIVE_MAX:
        _ACTIVE.clear()
    stale = set()
    for (user, book), count in totals.items():
        known = _ACTIVE.get((store, user, book))
        if known is not None and known[:2] == (count, idle_ms):
            partial.pair(source.owner or user, book or None).active_ms += known[2]
        else:
            stale.add((user, book))
    if not stale:
        return
    if len(stale) * 2 > len(totals):
        # Only the summary's notebook (the moved pairs are not in `totals`).
        results: Any = [conn.execute(*_where(_ACTIVITY, activity, source, notebook, Moved()))]
    else:
        pairs = sorted(stale)
        results = (
            conn.execute(_ACTIVITY_OF, {"only": pairs[i : i + _PAIRS_CHUNK]})
            for i in range(0, len(pairs), _PAIRS_CHUNK)
        )
    for result in results:
        for user, book, firsts, lasts, counts in _minute_rows(result):
            if (user, book) not in stale:
                continue
            active = minutes_active_ms(*_in_order(firsts, lasts, counts)[:2], idle_ms)
            # Remembered under the count of the minutes read, which may be newer
            # than `hours` was: then the next summary reads them again.
            _ACTIVE[(store, user, book)] = (sum(counts), idle_ms, active)
            partial.pair(source.owner or user, book or None).active_ms += active


def _minute_rows(result: Any) -> list[tuple[str, str, list[int], list[int], list[int]]]:
    return [
        (user, book, _ints(firsts), _ints(lasts), _ints(counts))
        for user, book, firsts, lasts, counts in result
    ]


def _in_order(
    firsts: list[int], lasts: list[int], counts: list[int]
) -> tuple[list[int], list[int], list[int]]:
    if any(map(int.__gt__, firsts, firsts[1:])):
        firsts, lasts, counts = map(list, zip(*sorted(zip(firsts, lasts, counts))))
    return firsts, lasts, counts


def _add_minutes(partial: Partial, source: Source, rows: list[Any], options: Options) -> None:
    """Adds the pairs' minutes: events, active time, first and last, buckets."""
    idle_ms = round(options.idle_seconds * 1000)
    width_ms = options.bucket_seconds * 1000
    for user, book, *minutes in rows:
        firsts, lasts, counts = _in_order(*minutes)
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


def _with_moved_minutes(rows: list[Any], moved: list[Any]) -> list[Any]:
    """The kept minutes per (user, notebook) with the moved events' added: a
    minute seen under two names counts once (events summed, first and last
    the earliest and latest)."""
    minutes: dict[tuple[str, str], dict[int, list[int]]] = {}
    for user, book, firsts, lasts, counts in rows:
        mine = minutes.setdefault((user, book), {})
        for first, last, count in zip(firsts, lasts, counts):
            mine[first // _MINUTE_MS] = [count, first, last]
    for row in moved:
        mine = minutes.setdefault((row.user, row.notebook or ""), {})
        entry = mine.get(row.time_ms // _MINUTE_MS)
        if entry is None:
            mine[row.time_ms // _MINUTE_MS] = [1, row.time_ms, row.time_ms]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], row.time_ms)
            entry[2] = max(entry[2], row.time_ms)
    out = []
    for (user, book), mine in minutes.items():
        entries = [mine[minute] for minute in sorted(mine)]
        counts = [entry[0] for entry in entries]
        out.append((user, book, [e[1] for e in entries], [e[2] for e in entries], counts))
    return out


def _read_help(
    conn: sa.Connection,
    source: Source,
    notebook: str | None,
    moved: Moved,
    partial: Partial,
    counted: bool,
) -> None:
    """Questions and hints per pair; with `counted`, `_read_activity` counted
    them already but for the pairs the moved events belong to."""
    moved_rows = [r for r in moved.of(notebook) if r.type in HELP_TYPES]
    if not counted:
        rows = list(conn.execute(*_where(_HELP, events, source, notebook, moved)).all())
    else:
        touched = {(row.user, row.notebook or "") for row in moved.of(notebook)}
        kept = sorted(touched - set(moved.paths))
        rows = list(conn.execute(_HELP_OF, {"only": kept}).all()) if kept else []
    rows += [(r.user, r.notebook, r.type, 1) for r in moved_rows]
    for user, book, kind, count in rows:
        stats = partial.pair(source.owner or user, book or None)
        if kind == "chat.exchange":
            stats.questions += count
        else:
            stats.hints += count


def _read_executions(
    conn: sa.Connection,
    source: Source,
    notebook: str | None,
    moved: Moved,
    options: Options,
    partial: Partial,
) -> None:
    """Runs, failures and cells per pair and per cell, counted by the database
    (a few thousand rows rather than one per cell tried), but for the pairs a
    renamed path's runs now belong to: their cells are read one by one and
    counted here with the moved runs, so that a cell run under both names
    counts once."""
    runs_of_moved = [
        row
        for row in moved.of(notebook)
        if row.type == "cell.execute" and row.outcome is not None and is_run(row.outcome)
    ]
    touched = sorted({(row.user, row.notebook or "") for row in runs_of_moved})
    grouped = Moved(paths=sorted({*moved.paths, *touched}))
    query, params = _where(_RUNS_BY_PAIR, executions, source, notebook, grouped)
    params["stuck_failures"] = options.stuck_failures
    for user, book, runs, fails, cells, last_failure in conn.execute(query, params):
        label, book = source.owner or user, book or None
        stats = partial.pair(label, book)
        # int(): PostgreSQL sums BIGINTs as NUMERIC, read as Decimal.
        stats.executions += int(runs)
        stats.failures += int(fails)
        stats.cells_attempted += cells
        if last_failure is not None:
            partial.failing.setdefault((label, book), []).append(last_failure)
    by_cell = _runs_by_cell(conn.dialect.name)
    for book, cell, runs, fails, names in conn.execute(
        *_where(by_cell, executions, source, notebook, grouped)
    ):
        users = set(names if isinstance(names, list) else json.loads(names or "[]"))
        if source.owner is not None and users:
            users = {source.owner}
        _add_cell(partial, book or None, cell or None, int(runs), int(fails), users)
    # (user, notebook, cell) -> [runs, failures, last failure (ms)]
    counted: dict[tuple[str, str, str], list[Any]] = {}
    # Their kept cells (a path in `moved.paths` has none: its runs are moved).
    kept = sorted(set(touched) - set(moved.paths))
    if kept:
        for user, book, cell, runs, fails, last in conn.execute(_EXECUTIONS_OF, {"touched": kept}):
            counted[(user, book, cell)] = [runs, fails, last]
    for row in runs_of_moved:
        entry = counted.setdefault((row.user, row.notebook or "", row.cell_id or ""), [0, 0, None])
        entry[0] += 1
        if is_failure(row.outcome):
            entry[1] += 1
            entry[2] = row.time_ms if entry[2] is None else max(entry[2], row.time_ms)
    for (user, book, cell), (runs, fails, last_failure) in counted.items():
        label, book, cell = source.owner or user, book or None, cell or None
        stats = partial.pair(label, book)
        stats.executions += runs
        stats.failures += fails
        stats.cells_attempted += 1
        _add_cell(partial, book, cell, runs, fails, {label} if fails else set())
        if fails >= options.stuck_failures:
            partial.failing.setdefault((label, book), []).append(last_failure)


def _add_cell(
    partial: Partial, book: str | None, cell: str | None, runs: int, fails: int, users: set[str]
) -> None:
    entry = partial.cells.get((book, cell))
    if entry is None:
        entry = partial.cells[(book, cell)] = [0, 0, set()]
    entry[0] += runs
    entry[1] += fails
    entry[2] |= users


def _read_failures(
    conn: sa.Connection, source: Source, notebook: str | None, moved: Moved, partial: Partial
) -> None:
    rows = list(conn.execute(*_where(_FAILURES, failures, source, notebook, moved)).all())
    rows += [
        (r.user, r.notebook, r.error_name, 1)
        for r in moved.of(notebook)
        if r.type == "cell.execute" and r.outcome is not None and is_failure(r.outcome)
    ]
    for user, book, name, runs in rows:
        partial.pair(source.owner or user, book or None).errors[name or "(unnamed)"] += runs


def _read_stuck(
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
