"""`read_store`: one store read into a `Partial`, concern by concern (the
renamed paths first, since every other read leaves them out)."""

from __future__ import annotations

from ..lineage import moved_events
from ..rules import Options
from ..sources import Source, reading
from .activity import read_activity
from .executions import read_executions, read_failures
from .help_requests import read_help
from .partial import Partial
from .stuck import read_stuck


def read_store(source: Source, notebook: str | None, options: Options) -> Partial:
    """The metrics of one store's rows (all of them, or `source.user`'s)."""
    partial = Partial()
    with reading(source) as conn:
        if conn is None:
            return partial  # a student who has not done anything yet
        moved = moved_events(conn, source.user, source.exclude)
        counted = read_activity(conn, source, notebook, moved, options, partial)
        read_help(conn, source, notebook, moved, partial, counted)
        read_executions(conn, source, notebook, moved, options, partial)
        read_failures(conn, source, notebook, moved, partial)
        read_stuck(conn, source, moved, options, partial)
    return partial
