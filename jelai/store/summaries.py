"""The summary tables (`activity`, `executions`, `failures`, `hours`), kept per stored batch.

Each batch's new rows (those really inserted, so a retried batch never counts
twice) are folded into the tables in the same transaction, with one grouped
upsert per table (`fold`): a few statements per batch instead of several per
event. `rebuild` counts the tables again from every event, with the same
grouped selects.

What counts follows the execution outcomes (docs/events.md): a run is any
`cell.execute` but an aborted one (the cell never ran), a failure is an
outcome "error" only, named by its error ('' if unnamed).

The statements are SQLAlchemy Core with each dialect's upsert
(`INSERT ... ON CONFLICT DO UPDATE`, SQLite 3.24 and PostgreSQL 9.5 on).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .tables import SUMMARIES, activity, events, executions, hours

# Written as literals, not parameters, so the GROUP BY repeats the very
# expressions of the SELECT list (PostgreSQL compares them as text).
_NONE = sa.literal_column("''")
_MINUTE_MS = sa.literal_column("60000")
_HOUR_MS = sa.literal_column("3600000")


def _start(ms: sa.ColumnElement[int], width: Any = _MINUTE_MS) -> sa.ColumnElement[int]:
    # The start of the minute (or hour), rounded down also before 1970 (% keeps the sign).
    return ms - ((ms % width) + width) % width


def _grouped(table: sa.Table, rows: sa.ColumnElement[bool] | None) -> sa.Select[Any]:
    """The SELECT that counts `table`'s rows from the events matching `rows`."""
    e = events.c
    notebook = sa.func.coalesce(e.notebook, _NONE)
    # `type || ''` keeps the planner off the index on type: without statistics
    # SQLite would take it over the batch's seq range and read every run ever
    # stored for each batch.
    executed = (e.type + _NONE) == "cell.execute"
    if table is activity:
        minute = _start(e.time_ms)
        query = sa.select(
            e.user,
            notebook,
            minute,
            sa.func.count(),
            sa.func.min(e.time_ms),
            sa.func.max(e.time_ms),
        ).group_by(e.user, notebook, minute)
    elif table is hours:
        hour = _start(e.time_ms, _HOUR_MS)
        query = sa.select(
            e.user,
            notebook,
            hour,
            sa.func.count(),
            sa.func.min(e.time_ms),
            sa.func.max(e.time_ms),
            sa.func.count(sa.case((e.type == "chat.exchange", 1))),
            sa.func.count(sa.case((e.type == "tutor.hint", 1))),
        ).group_by(e.user, notebook, hour)
    elif table is executions:
        cell = sa.func.coalesce(e.cell_id, _NONE)
        failed = e.outcome == "error"
        query = (
            sa.select(
                e.user,
                notebook,
                cell,
                sa.func.count(),
                sa.func.count(sa.case((failed, 1))),
                sa.func.max(sa.case((failed, e.time_ms))),
            )
            .where(executed, e.outcome != "aborted")
            .group_by(e.user, notebook, cell)
        )
    else:
        name = sa.func.coalesce(e.error_name, _NONE)
        query = (
            sa.select(e.user, notebook, name, sa.func.count())
            .where(executed, e.outcome == "error")
            .group_by(e.user, notebook, name)
        )
    return query if rows is None else query.where(rows)


def _later(old: sa.ColumnElement[Any], new: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The larger of two values, either of which may be NULL."""
    return sa.case((new > old, new), else_=sa.func.coalesce(old, new))


def _earlier(old: sa.ColumnElement[Any], new: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.case((new < old, new), else_=old)


def _upsert(dialect: str, table: sa.Table, rows: sa.ColumnElement[bool]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).from_select(list(table.c.keys()), _grouped(table, rows))
    new, old = statement.excluded, table.c
    if table is activity or table is hours:
        changes = {
            "events": old.events + new.events,
            "first_ms": _earlier(old.first_ms, new.first_ms),
            "last_ms": _later(old.last_ms, new.last_ms),
        }
        if table is hours:
            changes["questions"] = old.questions + new.questions
            changes["hints"] = old.hints + new.hints
    elif table is executions:
        changes = {
            "runs": old.runs + new.runs,
            "failures": old.failures + new.failures,
            "last_failure_ms": _later(old.last_failure_ms, new.last_failure_ms),
        }
    else:
        changes = {"runs": old.runs + new.runs}
    keys = [column.name for column in table.primary_key]
    return statement.on_conflict_do_update(index_elements=keys, set_=changes)


@functools.cache
def _folds(dialect: str) -> tuple[Any, ...]:
    """The three upserts for a dialect, built once (SQLAlchemy caches their SQL).

    The batch's rows are named by their seqs: on PostgreSQL as one array
    parameter (other transactions may take seqs in between), on SQLite as
    the range from the first to the last, which holds them all and nothing
    else: the transaction holds the write lock, so its rows get the rowids
    after the largest before it, one after the other.
    """
    if dialect == "postgresql":
        seqs = sa.bindparam("seqs", type_=postgresql.ARRAY(sa.BigInteger))
        rows = events.c.seq == sa.any_(seqs)
    else:
        rows = events.c.seq.between(sa.bindparam("first"), sa.bindparam("last"))
    return tuple(_upsert(dialect, table, rows) for table in SUMMARIES)


def fold(conn: sa.Connection, seqs: Sequence[int]) -> None:
    """Adds the events numbered `seqs` (just inserted, same transaction) to the tables."""
    if not seqs:
        return
    params = {"seqs": list(seqs), "first": min(seqs), "last": max(seqs)}
    for statement in _folds(conn.dialect.name):
        conn.execute(statement, params)


def rebuild(conn: sa.Connection, tables: Sequence[sa.Table] = SUMMARIES) -> None:
    """Counts the tables (by default all of them) again from every stored event."""
    for table in tables:
        conn.execute(sa.delete(table))
        conn.execute(sa.insert(table).from_select(list(table.c.keys()), _grouped(table, None)))
