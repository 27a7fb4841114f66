"""Each pair's minutes of activity (the `activity` table, a row per minute):
the queries that read them, and what they add to a `Partial`: events, active
time, first and last activity and the chart's buckets, with the minutes of
the events renames moved added."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...store.tables import activity
from ..rules import Options, buckets, minutes_active_ms
from ..sources import Source
from .partial import Partial
from .where import only

_MINUTE_MS = 60_000


def _joined(column: sa.Column[Any]) -> Any:
    # group_concat (SQLite) or string_agg (PostgreSQL) of the values as text.
    return sa.func.aggregate_strings(sa.cast(column, sa.Text), ",")


# The query, built once; `where` adds the user, notebook and renamed paths.
# Three lists per (user, notebook), one string each: building a Python row
# per minute costs more than the database's work. The three are fed the same
# rows in the same order, so they line up.
MINUTES = sa.select(
    activity.c.user,
    activity.c.notebook,
    _joined(activity.c.first_ms),
    _joined(activity.c.last_ms),
    _joined(activity.c.events),
).group_by(activity.c.user, activity.c.notebook)
# The same for the (user, notebook) pairs in the parameter `only`.
MINUTES_OF = only(MINUTES, activity)


def _ints(text: str) -> list[int]:
    return list(map(int, text.split(",")))


def minute_rows(result: Any) -> list[tuple[str, str, list[int], list[int], list[int]]]:
    """The rows of `MINUTES` with their lists read: (user, notebook, firsts,
    lasts, counts), times in Unix ms."""
    return [
        (user, book, _ints(firsts), _ints(lasts), _ints(counts))
        for user, book, firsts, lasts, counts in result
    ]


def in_order(
    firsts: list[int], lasts: list[int], counts: list[int]
) -> tuple[list[int], list[int], list[int]]:
    """One pair's minutes sorted by time, if they are not already."""
    if any(map(int.__gt__, firsts, firsts[1:])):
        firsts, lasts, counts = map(list, zip(*sorted(zip(firsts, lasts, counts))))
    return firsts, lasts, counts


def add_minutes(partial: Partial, source: Source, rows: list[Any], options: Options) -> None:
    """Adds the pairs' minutes: events, active time, first and last, buckets."""
    idle_ms = round(options.idle_seconds * 1000)
    width_ms = options.bucket_seconds * 1000
    for user, book, *minutes in rows:
        firsts, lasts, counts = in_order(*minutes)
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


def with_moved_minutes(rows: list[Any], moved: list[Any]) -> list[Any]:
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
