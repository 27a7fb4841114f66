"""Active time per pair, remembered in the process (`_ACTIVE`) while the
pair's events stay as many: a summary reads again only the minutes of the
pairs with new events since the last one."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from ...store.tables import activity
from ..lineage import Moved
from ..rules import Options, minutes_active_ms
from ..sources import Source
from .minutes import MINUTES, MINUTES_OF, in_order, minute_rows
from .partial import Partial
from .where import where

# (store, user, notebook) -> (events, idle ms, active ms): the active time of
# the pairs summarised before, kept while their events stay as many (a store
# only grows: a new event changes the count) and the idle time is the same.
_ACTIVE: dict[tuple[str, str, str], tuple[int, int, int]] = {}
_ACTIVE_MAX = 500_000  # entries; beyond this the memory is cleared
# Pairs per query when a few pairs' minutes are read again.
_PAIRS_CHUNK = 500


def add_active_time(
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
        results: Any = [conn.execute(*where(MINUTES, activity, source, notebook, Moved()))]
    else:
        pairs = sorted(stale)
        results = (
            conn.execute(MINUTES_OF, {"only": pairs[i : i + _PAIRS_CHUNK]})
            for i in range(0, len(pairs), _PAIRS_CHUNK)
        )
    for result in results:
        for user, book, firsts, lasts, counts in minute_rows(result):
            if (user, book) not in stale:
                continue
            active = minutes_active_ms(*in_order(firsts, lasts, counts)[:2], idle_ms)
            # Remembered under the count of the minutes read, which may be newer
            # than `hours` was: then the next summary reads them again.
            _ACTIVE[(store, user, book)] = (sum(counts), idle_ms, active)
            partial.pair(source.owner or user, book or None).active_ms += active
