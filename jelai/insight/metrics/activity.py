"""Events, first and last activity, active time and the activity chart's
buckets per pair: from `hours` (a row per hour) when the buckets are whole
hours, else from the minutes (`minutes`)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any

import sqlalchemy as sa

from ...store.tables import activity, hours
from ..lineage import Moved
from ..rules import Options
from ..sources import Source
from .active_time import add_active_time
from .minutes import MINUTES, MINUTES_OF, add_minutes, minute_rows, with_moved_minutes
from .partial import Partial
from .where import where

_HOUR_MS = 3_600_000
_h = hours.c
# The query, built once; `where` adds the user, notebook and renamed paths.
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


def read_activity(
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
    the pairs with new events since the last summary (`active_time`). Other
    buckets, and a store without `hours`, read every minute."""
    width_ms = options.bucket_seconds * 1000
    if width_ms % _HOUR_MS or not sa.inspect(conn).has_table(hours.name):
        rows = minute_rows(conn.execute(*where(MINUTES, activity, source, notebook, moved)))
        if moved:
            rows = with_moved_minutes(rows, moved.of(notebook))
        add_minutes(partial, source, rows, options)
        return False
    # The pairs the moved events now belong to are read by the minute, as above.
    touched = sorted({(row.user, row.notebook or "") for row in moved.of(notebook)})
    apart = Moved(paths=sorted({*moved.paths, *touched}))
    totals: Counter[tuple[str, str]] = Counter()
    for user, book, count, first, last, questions, hints in conn.execute(
        *where(_PAIR_HOURS, hours, source, notebook, apart)
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
    for start, count, names in conn.execute(*where(by_bucket, hours, source, notebook, apart)):
        users = set(names if isinstance(names, list) else json.loads(names))
        partial.activity[start] += int(count)
        partial.active_users.setdefault(start, set()).update(
            users if source.owner is None else {source.owner}
        )
    add_active_time(conn, source, notebook, totals, options, partial)
    kept = sorted(set(touched) - set(moved.paths))
    rows = minute_rows(conn.execute(MINUTES_OF, {"only": kept})) if kept else []
    add_minutes(partial, source, with_moved_minutes(rows, moved.of(notebook)), options)
    return True
