"""`Partial`: what one store contributes to a summary, filled by each reader
of this package and assembled with the other stores' by `analytics`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..rules import Stats


@dataclass
class Partial:
    """What one store contributes to a summary."""

    stats: dict[tuple[str, str | None], Stats] = field(default_factory=dict)
    # The `user` values in the rows of each (label, notebook): one for a store
    # that was not tampered with.
    row_users: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)
    # Pairs with a cell that failed often enough for the stuck rule: the time
    # (Unix ms) of each such cell's last failure.
    failing: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)
    # (notebook, cell) -> [executions, failures, users with a failure]
    cells: dict[tuple[str | None, str | None], list[Any]] = field(default_factory=dict)
    # bucket start (ms) -> events, and -> the users active in it
    activity: Counter[int] = field(default_factory=Counter)
    active_users: dict[int, set[str]] = field(default_factory=dict)

    def pair(self, label: str, notebook: str | None) -> Stats:
        key = (label, notebook)
        if key not in self.stats:
            self.stats[key] = Stats(user=label, notebook=notebook)
        return self.stats[key]
