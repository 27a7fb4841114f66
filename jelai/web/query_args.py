"""Query arguments that more than one endpoint reads, checked in one place.

A standalone server's handlers and the course service's read them the same
way: each function takes the raw argument (None when absent) and returns
its value, or raises a 400 JelaiError naming the argument. Nothing here
knows about tornado.
"""

from __future__ import annotations

from ..errors import JelaiError
from ..insight.rules import Options
from ..record.events import parse_time

MAX_QUERY_LIMIT = 10_000
MAX_BUCKET_SECONDS = 7 * 86400


def exact_text(name: str, value: str) -> str:
    """A query argument kept as sent (a notebook path may hold spaces and
    tabs); a 400 for the NUL character, which no stored text holds (see
    `schemas/event.v1.json`) and a database would refuse to compare."""
    if "\0" in value:
        raise JelaiError(400, f"{name} must not contain the NUL character (U+0000).", name)
    return value


def notebook_required(notebook: str | None) -> str:
    """The notebook whose events are read (already a plain path)."""
    if not notebook:
        raise JelaiError(400, "The notebook to read events of is required.", "notebook")
    return notebook


def since_argument(raw: str | None) -> str | None:
    """`since`, an ISO 8601 date-time: only events after it."""
    if raw is not None:
        try:
            parse_time(raw)
        except ValueError as error:
            raise JelaiError(400, str(error), "since") from None
    return raw


def limit_argument(raw: str | None) -> int | None:
    """`limit`, the most recent events to keep: a whole number from 1 to MAX_QUERY_LIMIT."""
    if raw is None:
        return None
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_QUERY_LIMIT:
        raise JelaiError(400, f"limit must be a whole number from 1 to {MAX_QUERY_LIMIT}.", "limit")
    return limit


def analytics_options(bucket: str | None, idle_seconds: float) -> Options:
    """The summary's options: `bucket` is the activity chart's bucket in seconds
    (default an hour), a whole number of minutes up to a week."""
    try:
        seconds = int(bucket or "3600")
        if not 60 <= seconds <= MAX_BUCKET_SECONDS or seconds % 60:
            raise ValueError
    except ValueError:
        raise JelaiError(
            400,
            f"bucket is seconds, a whole number of minutes up to {MAX_BUCKET_SECONDS}.",
            "bucket",
        ) from None
    return Options(idle_seconds=idle_seconds, bucket_seconds=seconds)
