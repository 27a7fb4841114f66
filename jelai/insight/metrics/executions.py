"""Runs, failures and cells tried per pair and per cell (the `executions`
table, a row per cell), the cells that failed often enough for the stuck
rule, and the error names (the `failures` table); with the runs renames
moved counted once beside the kept ones."""

from __future__ import annotations

import functools
import json
from typing import Any

import sqlalchemy as sa

from ...record.outcomes import is_failure, is_run
from ...store.tables import executions, failures
from ..lineage import Moved
from ..rules import Options
from ..sources import Source
from .partial import Partial
from .where import where

_x = executions.c
# The kept cells of the pairs that moved runs now belong to.
_EXECUTIONS_OF = sa.select(
    _x.user, _x.notebook, _x.cell_id, _x.runs, _x.failures, _x.last_failure_ms
).where(sa.tuple_(_x.user, _x.notebook).in_(sa.bindparam("touched", expanding=True)))
_OFTEN = _x.failures >= sa.bindparam("stuck_failures", type_=sa.Integer)
# Per pair: runs, failures, cells tried, and the last failure of the cells
# that failed often enough for the stuck rule (None if none did). Built once;
# `where` adds the user, notebook and renamed paths.
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


def read_executions(
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
    query, params = where(_RUNS_BY_PAIR, executions, source, notebook, grouped)
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
        *where(by_cell, executions, source, notebook, grouped)
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


def read_failures(
    conn: sa.Connection, source: Source, notebook: str | None, moved: Moved, partial: Partial
) -> None:
    """The error names of the failed runs per pair (`Stats.errors`)."""
    rows = list(conn.execute(*where(_FAILURES, failures, source, notebook, moved)).all())
    rows += [
        (r.user, r.notebook, r.error_name, 1)
        for r in moved.of(notebook)
        if r.type == "cell.execute" and r.outcome is not None and is_failure(r.outcome)
    ]
    for user, book, name, runs in rows:
        partial.pair(source.owner or user, book or None).errors[name or "(unnamed)"] += runs
