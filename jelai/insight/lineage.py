"""Analytics across renames: which of a store's events belong to another
notebook now (the rule is `renames.py`'s), read so they can be counted there.

A store without renames is read as it is. In a store with renames, the
kept tables' rows of every path some of whose events moved are left out
(`Moved.paths`), and the events of those paths are read instead (`Moved.rows`),
each under its notebook now; `metrics` counts them with the rules
the kept tables are counted with (`store.summaries`) and adds them to the
rest per key, so a minute or a cell seen under two names counts once.
Renames are rare and their paths few, so those events are few to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from ..store.tables import events
from .renames import Lineage, read_lineage


class Row(NamedTuple):
    """An event of a renamed path, with the notebook it belongs to now."""

    user: str
    notebook: str | None
    time: str
    time_ms: int
    type: str
    cell_id: str | None
    outcome: str | None
    error_name: str | None


@dataclass
class Moved:
    """The paths whose kept rows are left out, and their events."""

    paths: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    lineage: Lineage | None = None

    def __bool__(self) -> bool:
        return bool(self.paths)

    def keep(self, table: sa.Table) -> Any:
        """The condition that leaves out `table`'s rows of the paths (True if none)."""
        if not self.paths:
            return sa.true()
        return sa.tuple_(table.c.user, table.c.notebook).not_in(self.paths)

    def of(self, notebook: str | None) -> list[Row]:
        """The rows under `notebook` now (all of them for None)."""
        return [row for row in self.rows if notebook is None or row.notebook == notebook]


def moved_events(conn: sa.Connection, user: str | None, exclude: Sequence[str] = ()) -> Moved:
    """The events of `user` (or of everyone but `exclude`) on paths with
    renames, under their notebook now."""
    lineage = read_lineage(conn)
    segments = lineage.segments()
    paths = sorted(
        {(s.user, s.notebook) for s in segments if user in (None, s.user) and s.user not in exclude}
    )
    if not paths:
        return Moved()
    e = events.c
    query = sa.select(
        e.user, e.notebook, e.time, e.time_ms, e.type, e.cell_id, e.outcome, e.error_name
    ).where(sa.tuple_(e.user, e.notebook).in_(paths))
    rows = [
        Row(who, lineage.current(who, book, time), time, *rest)
        for who, book, time, *rest in conn.execute(query)
    ]
    return Moved(paths=paths, rows=rows, lineage=lineage)
