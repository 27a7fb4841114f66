"""Per-user ingest limits: events in any 60 seconds, bytes in a UTC day.

A batch is checked whole before anything is stored, so a refused batch
leaves nothing half-written; the browser keeps it and sends it again once
the limit allows (the store ignores what it already holds). Counts live in
the service's memory: a restart forgives what was counted. Nothing here
knows about tornado.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import RateLimited

__all__ = ["IngestLimits", "RateLimited"]

WINDOW_SECONDS = 60.0
DAY_SECONDS = 86400


@dataclass
class _Usage:
    # (monotonic time, events) of each accepted batch in the last window
    batches: deque[tuple[float, int]] = field(default_factory=deque)
    day: int = -1
    day_bytes: int = 0


class IngestLimits:
    """Admits or refuses each user's batches; `clock` gives seconds (for tests)."""

    def __init__(
        self,
        events_per_minute: int,
        bytes_per_day: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events_per_minute = events_per_minute
        self.bytes_per_day = bytes_per_day
        self._clock = clock
        self._usage: dict[str, _Usage] = {}

    def admit(self, user: str, events: int, size: int) -> None:
        """Counts a batch of `events` events and `size` bytes, or raises a 429 JelaiError
        whose message says when sending works again (nothing is counted then)."""
        now = self._clock()
        usage = self._usage.setdefault(user, _Usage())
        while usage.batches and usage.batches[0][0] <= now - WINDOW_SECONDS:
            usage.batches.popleft()
        day = int(now // DAY_SECONDS)
        if usage.day != day:
            usage.day, usage.day_bytes = day, 0
        recent = sum(count for _, count in usage.batches)
        if recent + events > self.events_per_minute:
            # When enough of the window's batches have aged out to make room.
            needed, wait = recent + events - self.events_per_minute, WINDOW_SECONDS
            for moment, count in usage.batches:
                needed -= count
                if needed <= 0:
                    wait = moment + WINDOW_SECONDS - now
                    break
            raise RateLimited(
                f"More than {self.events_per_minute} events in a minute; "
                f"try again in {math.ceil(wait)} seconds.",
                math.ceil(wait),
            )
        if usage.day_bytes + size > self.bytes_per_day:
            wait = (day + 1) * DAY_SECONDS - now
            raise RateLimited(
                f"More than {self.bytes_per_day} bytes of events today (UTC); "
                "sending works again after midnight UTC.",
                math.ceil(wait),
            )
        usage.batches.append((now, events))
        usage.day_bytes += size
