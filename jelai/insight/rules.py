"""What the analytics metrics mean, as pure functions over one student's events.

Active time
    The time between consecutive events of a student in a notebook, leaving
    out every gap longer than `Options.idle_seconds` (5 minutes: the student
    was away; at least one minute). A student's total is the sum over their
    notebooks.

Runs and failures (the execution outcomes of docs/events.md)
    Each `cell.execute` has an outcome: "ok", "error", "interrupted",
    "aborted" or "no_reply" (`outcome_of` derives it for events recorded
    without one). A run is any outcome but "aborted" (the cell never ran
    because an earlier one failed); a failure is an outcome "error" only.

Error rate
    Failures over runs.

Stuck (per student and notebook), with the defaults of `Options`
    Take the failures of each cell since that cell last ran successfully
    (outcome "ok"; interrupted, unanswered and aborted executions neither
    add to the failures nor end them).
    The student is stuck on the cell when the last 3 of those failures
    happened within 10 minutes, the last of them lies within the last 15
    minutes of the student's activity in the notebook, and the student asked
    no chat question (`chat.exchange`) and requested no hint (`tutor.hint`)
    in that notebook since the first of the three. It is measured against the
    student's last activity, not the clock, so a report on yesterday's data
    reads as it did then; the dashboard shows the last activity beside it.

See docs/analytics.md. Nothing here knows about SQL or tornado.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

HELP_TYPES = ("chat.exchange", "tutor.hint")


@dataclass(frozen=True)
class Options:
    """Thresholds of the metrics; the defaults are the documented ones."""

    idle_seconds: float = 300.0
    stuck_failures: int = 3
    stuck_span_seconds: float = 600.0
    stuck_recent_seconds: float = 900.0
    bucket_seconds: int = 3600
    top_errors: int = 3

    def __post_init__(self) -> None:
        # Active time and buckets are computed from whole minutes of activity.
        if self.idle_seconds < 60:
            raise ValueError("idle_seconds must be 60 or more")
        if self.bucket_seconds < 60 or self.bucket_seconds % 60:
            raise ValueError("bucket_seconds must be a whole number of minutes")


@dataclass
class Stuck:
    """Where a student is stuck: the cell, since when, failures in a row."""

    cell_id: str | None
    since: str
    failures: int


@dataclass
class Stats:
    """The metrics of one student in one notebook (or over all notebooks)."""

    user: str
    notebook: str | None
    events: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    active_ms: int = 0
    executions: int = 0
    failures: int = 0
    cells_attempted: int = 0
    questions: int = 0
    hints: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    stuck: Stuck | None = None

    def add(self, other: Stats) -> None:
        """Adds another notebook's metrics (for a student's total)."""
        for name in ("events", "active_ms", "executions", "failures", "cells_attempted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.questions += other.questions
        self.hints += other.hints
        self.errors.update(other.errors)
        self.first_ms = _pick(min, self.first_ms, other.first_ms)
        self.last_ms = _pick(max, self.last_ms, other.last_ms)

    def to_json(self, top: int) -> dict[str, Any]:
        return {
            "user": self.user,
            "notebook": self.notebook,
            "events": self.events,
            "first_activity": None if self.first_ms is None else iso(self.first_ms),
            "last_activity": None if self.last_ms is None else iso(self.last_ms),
            "active_seconds": self.active_ms / 1000,
            "executions": self.executions,
            "failures": self.failures,
            "error_rate": round(self.failures / self.executions, 4) if self.executions else 0.0,
            "top_errors": [{"name": name, "count": n} for name, n in top_counts(self.errors, top)],
            "cells_attempted": self.cells_attempted,
            "questions": self.questions,
            "hints": self.hints,
        }


def _pick(choose: Any, a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else choose(a, b)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(ms: int) -> str:
    """Unix milliseconds as the store's time spelling, `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    moment = _EPOCH + timedelta(milliseconds=ms)  # any year, unlike fromtimestamp
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def top_counts(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The n largest counts; ties broken by name so the same data reads the same."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def minutes_active_ms(firsts: Sequence[int], lasts: Sequence[int], idle_ms: int) -> int:
    """Active time (ms) from each active minute's first and last event, in order.

    Gaps inside a minute are all shorter than `idle_ms` (a minute or more), so
    the minute counts from its first event to its last; between two minutes
    counts the gap from the last event of one to the first of the next, unless
    it is longer than `idle_ms`.
    """
    inside = sum(map(int.__sub__, lasts, firsts))
    between = map(int.__sub__, firsts[1:], lasts[:-1])
    return inside + sum(filter(idle_ms.__ge__, between))


def buckets(firsts: Sequence[int], counts: Sequence[int], width_ms: int) -> dict[int, int]:
    """Events per time bucket (start ms -> events) from minutes in order.

    `firsts` are the minutes' first event times and `counts` their events; a
    bucket is a whole number of minutes, so a minute never straddles two.
    """
    out: dict[int, int] = {}
    i = 0
    # One bisection per non-empty bucket rather than a step per minute.
    while i < len(firsts):
        start = firsts[i] // width_ms * width_ms
        end = bisect_left(firsts, start + width_ms, i)
        out[start] = sum(counts[i:end])
        i = end
    return out


def find_stuck(
    rows: Sequence[tuple[int, str, str | None, str | None]],
    options: Options,
    last_ms: int | None = None,
) -> Stuck | None:
    """The stuck rule (see the module docstring) over one student's notebook.

    `rows` are (time in ms, type, cell id, outcome) in time order: executions
    and help requests reaching back at least `stuck_span_seconds +
    stuck_recent_seconds` before the student's last activity in the notebook,
    `last_ms` (by default the last row). A help request's outcome is None.
    """
    if not rows or options.stuck_failures < 1:
        return None
    last = rows[-1][0] if last_ms is None else last_ms
    streaks: dict[str | None, list[int]] = defaultdict(list)
    helped: list[int] = []
    for moment, kind, cell, outcome in rows:
        if kind == "cell.execute":
            if outcome == "error":
                streaks[cell].append(moment)
            elif outcome == "ok":
                streaks[cell].clear()
        elif kind in HELP_TYPES:
            helped.append(moment)
    n = options.stuck_failures
    found: tuple[int, Stuck] | None = None
    for cell, failures in streaks.items():
        if len(failures) < n:
            continue
        first, latest = failures[-n], failures[-1]
        if latest - first > options.stuck_span_seconds * 1000:
            continue
        if last - latest > options.stuck_recent_seconds * 1000:
            continue
        if any(moment >= first for moment in helped):
            continue
        if found is None or latest > found[0]:
            found = (latest, Stuck(cell_id=cell, since=iso(first), failures=len(failures)))
    return found[1] if found else None
