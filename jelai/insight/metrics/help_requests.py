"""Questions to the tutor and hints per pair, counted by the database from
the `events` table, with those of the events renames moved."""

from __future__ import annotations

import sqlalchemy as sa

from ...store.tables import events
from ..lineage import Moved
from ..rules import HELP_TYPES
from ..sources import Source
from .partial import Partial
from .where import only, where

# The query, built once; `where` adds the user, notebook and renamed paths.
_HELP = (
    sa.select(events.c.user, events.c.notebook, events.c.type, sa.func.count())
    .where(events.c.type.in_(HELP_TYPES))
    .group_by(events.c.user, events.c.notebook, events.c.type)
)
_HELP_OF = only(_HELP, events)


def read_help(
    conn: sa.Connection,
    source: Source,
    notebook: str | None,
    moved: Moved,
    partial: Partial,
    counted: bool,
) -> None:
    """Questions and hints per pair; with `counted`, `read_activity` counted
    them already but for the pairs the moved events belong to."""
    moved_rows = [r for r in moved.of(notebook) if r.type in HELP_TYPES]
    if not counted:
        rows = list(conn.execute(*where(_HELP, events, source, notebook, moved)).all())
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
