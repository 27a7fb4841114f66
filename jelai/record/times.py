"""Event times the server can trust: the browser's clock, bounded by the server's.

An event's `time` is the browser's clock, which can be wrong by years (a
reset clock gives 1970 or 2001, a bad date 0001 or 9999) and would stretch
every chart drawn over time. When the batch arrives, a time more than
`MAX_AHEAD` after the server's clock or more than `MAX_BEHIND` before it is
replaced by the server's clock at arrival (`received`), and the browser's
time is kept beside it as `client_time`. The event itself is kept: the
browser drops a refused batch whole (src/telemetry/sink.ts), which would
lose the valid events sent with it.

`MAX_BEHIND` is a year because a browser keeps unsent events in its storage
until its next visit (a laptop closed for the holidays); `MAX_AHEAD` allows
for a browser clock a little fast. docs/events.md and docs/export.md say the
same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .events import parse_time, utc_time

MAX_AHEAD = timedelta(minutes=10)
MAX_BEHIND = timedelta(days=365)
CLIENT_TIME = "client_time"


def bound_time(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The event, or a copy with `time` set to `now` and `client_time` to the
    browser's time when that lies outside the window around `now` (aware)."""
    moment = parse_time(event["time"])  # validated already
    if now - MAX_BEHIND <= moment <= now + MAX_AHEAD:
        return event
    return {**event, "time": utc_time(now), CLIENT_TIME: event["time"]}
