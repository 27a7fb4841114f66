"""A notebook's identity across renames, as the tutor follows it.

When a notebook is renamed or moved, telemetry records `notebook.rename`
under the new path with `data.from`, the path it had. Events recorded under
the old path before that moment belong to the renamed notebook; events under
the old path from that moment on belong to whatever took the path since
(src/tutor/renames.ts reads a conversation across renames by the same rule).

`Lineage.current(user, notebook, time)` follows an event forward: the first
rename away from its path after its time leads to the new path at the time
of the rename, and so on, at most `MAX_RENAMES` renames (the tutor's bound).
Times only grow along the way, so a notebook renamed back and forth (`a` ->
`b` -> `a`) ends where it is now, and the walk always ends.

Times are the store's spelling (`YYYY-MM-DDTHH:MM:SS.mmmZ`), which sorts as
time does. Only `read_lineage` reads a store.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..store.tables import events

MAX_RENAMES = 10
RENAME_EVENT = "notebook.rename"


@dataclass(frozen=True)
class Rename:
    """`user` renamed the notebook at `old` to `new` at `time`."""

    user: str
    time: str
    old: str
    new: str


@dataclass(frozen=True)
class Segment:
    """Events of `user` under `notebook` from `since` (inclusive, '' for the
    beginning) until `until` (exclusive) belong to the notebook now at `current`."""

    user: str
    notebook: str
    since: str
    until: str
    current: str


class Lineage:
    """The renames of one store, to find the current path of any event."""

    def __init__(self, renames: Iterable[Rename]) -> None:
        # (user, old path) -> the renames away from it, oldest first.
        self._away: dict[tuple[str, str], list[Rename]] = {}
        for rename in sorted(renames, key=lambda r: r.time):
            if rename.old and rename.old != rename.new:
                self._away.setdefault((rename.user, rename.old), []).append(rename)

    def __bool__(self) -> bool:
        return bool(self._away)

    def current(self, user: str, notebook: str | None, time: str) -> str | None:
        """The path now of the notebook that `notebook` named at `time`; the
        path itself when it was renamed more than `MAX_RENAMES` times since
        (the tutor does not follow it that far either)."""
        if notebook is None:
            return None
        path = notebook
        for _ in range(MAX_RENAMES + 1):
            away = self._away.get((user, path))
            # The first rename away strictly after the time: an event at the
            # very moment of the rename belongs to the path's next notebook.
            index = bisect_right([r.time for r in away], time) if away else 0
            if not away or index == len(away):
                return path
            path, time = away[index].new, away[index].time
        return notebook

    def segments(self) -> list[Segment]:
        """Every stretch of a path whose events belong to another path now."""
        out = []
        for (user, notebook), away in self._away.items():
            since = ""
            for rename in away:
                current = self.current(user, notebook, since)
                if current is not None and current != notebook:
                    out.append(Segment(user, notebook, since, rename.time, current))
                since = rename.time
        return out

    def paths_of(self, current: str) -> set[str]:
        """Every path whose events (some of them) belong to the notebook now at `current`."""
        return {current} | {s.notebook for s in self.segments() if s.current == current}


def read_lineage(conn: sa.Connection) -> Lineage:
    """The renames recorded in a store (through the index by type)."""
    e = events.c
    query = sa.select(e.user, e.time, e.notebook, e.event).where(
        e.type == RENAME_EVENT, e.notebook.is_not(None)
    )
    renames = []
    for user, time, new, text in conn.execute(query):
        old = (json.loads(text).get("data") or {}).get("from")
        if isinstance(old, str):
            renames.append(Rename(user=user, time=time, old=old, new=new))
    return Lineage(renames)
