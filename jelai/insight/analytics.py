"""Insight for instructors: per student and notebook, and the series the plots draw.

    summary = summarise(class_sources(Path("/srv/jelai-class")))
    summary = summarise([own_source(store, "ana")], options=Options(idle_seconds=600))

What each metric means, and the stuck rule, are in `rules` and
docs/analytics.md; how a store is read in `metrics`. Stores are read
one after the other: most of the work is Python's, and threads contending
for the GIL made a class of 200 half again slower. Nothing here knows about
tornado.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..record.events import utc_time
from ..store import StoreError
from .metrics import Partial, read_store
from .rules import Options, Stats, Stuck, find_stuck, iso
from .sources import Source

__all__ = ["Options", "Stuck", "find_stuck", "summarise"]


def summarise(
    sources: Sequence[Source],
    *,
    notebook: str | None = None,
    options: Options | None = None,
) -> dict[str, Any]:
    """One entry per student (totals, then per notebook) and the plots' series.

    A store that cannot be read is named in `unreadable` rather than failing
    the whole class.
    """
    options = options or Options()
    partials: list[Partial] = []
    unreadable: list[str] = []
    for source in sources:
        try:
            partials.append(read_store(source, notebook, options))
        except (sqlite3.Error, SQLAlchemyError, StoreError):
            unreadable.append(source.owner or str(source.path))
    return _assemble(partials, options, sorted(unreadable))


def _assemble(partials: list[Partial], options: Options, unreadable: list[str]) -> dict[str, Any]:
    totals: dict[str, Stats] = {}
    notebooks: dict[str, list[dict[str, Any]]] = {}
    stuck: dict[str, list[dict[str, Any]]] = {}
    cells: dict[tuple[str | None, str | None], list[Any]] = {}
    asking: dict[str | None, list[Any]] = {}
    activity: Counter[int] = Counter()
    active_users: dict[int, set[str]] = {}
    for partial in partials:
        for (user, book), stats in sorted(partial.stats.items(), key=_by_names):
            totals.setdefault(user, Stats(user=user, notebook=None)).add(stats)
            row = stats.to_json(options.top_errors)
            row["stuck"] = _stuck_json(stats.stuck)
            notebooks.setdefault(user, []).append(row)
            if stats.stuck is not None:
                stuck.setdefault(user, []).append({"notebook": book, **row["stuck"]})
            if stats.questions or stats.hints:
                ask = asking.setdefault(book, [0, 0, set()])
                ask[0] += stats.questions
                ask[1] += stats.hints
                ask[2].add(user)
        # A partial's sets are taken over, not copied: it is not read again.
        for key, (runs, fails, users) in partial.cells.items():
            entry = cells.get(key)
            if entry is None:
                cells[key] = [runs, fails, users]
            else:
                entry[0] += runs
                entry[1] += fails
                entry[2] |= users
        activity.update(partial.activity)
        for start, users in partial.active_users.items():
            if start in active_users:
                active_users[start] |= users
            else:
                active_users[start] = users
    students = [
        {
            **totals[user].to_json(options.top_errors),
            "stuck": stuck.get(user, []),
            "notebooks": notebooks[user],
        }
        for user in sorted(totals)
    ]
    return {
        "generated": utc_time(),
        "options": {
            "idle_seconds": options.idle_seconds,
            "bucket_seconds": options.bucket_seconds,
            "stuck_failures": options.stuck_failures,
            "stuck_span_seconds": options.stuck_span_seconds,
            "stuck_recent_seconds": options.stuck_recent_seconds,
        },
        "students": students,
        "series": {
            "activity": [
                {"start": iso(start), "events": count, "students": len(active_users[start])}
                for start, count in sorted(activity.items())
            ],
            "errors_by_cell": [
                {
                    "notebook": book,
                    "cell_id": cell,
                    "executions": runs,
                    "failures": fails,
                    "students": len(users),
                }
                for (book, cell), (runs, fails, users) in sorted(cells.items(), key=_by_names)
            ],
            "questions_by_notebook": [
                {"notebook": book, "questions": q, "hints": h, "students": len(users)}
                for book, (q, h, users) in sorted(asking.items(), key=lambda kv: kv[0] or "")
            ],
        },
        "unreadable": unreadable,
    }


def _by_names(item: tuple[tuple[str | None, str | None], Any]) -> tuple[str, str]:
    return item[0][0] or "", item[0][1] or ""


def _stuck_json(stuck: Stuck | None) -> dict[str, Any] | None:
    if stuck is None:
        return None
    return {"cell_id": stuck.cell_id, "since": stuck.since, "failures": stuck.failures}
