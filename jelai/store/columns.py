"""What the store reads out of an event into columns of its own, at ingest.

Analytics reads these columns rather than the JSON, so its queries are the
same plain SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from ..record.events import utc_time
from ..record.outcomes import outcome_of


def error_name_of(data: Any) -> str:
    """The error's name of a failed run, '' when it has none."""
    error = data.get("error") if isinstance(data, dict) else None
    name = error.get("name") if isinstance(error, dict) else None
    return name if isinstance(name, str) else ""


def time_ms(stored_time: str) -> int:
    """Unix milliseconds of a time in the store's spelling (`utc_time`: any
    year 1 to 9999, always UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`)."""
    return (datetime.fromisoformat(stored_time[:-1]) - _EPOCH) // _MS


_EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)


def row_of(user: str, event: dict[str, Any], received: str) -> dict[str, Any]:
    """The `events` row of a validated event of `user`, received at `received`."""
    stored = {**event, "user": user, "received": received}
    cell = event.get("cell") or {}
    moment = utc_time(event["time"])
    outcome = error_name = None
    if event["type"] == "cell.execute":
        data = event.get("data") or {}
        outcome = outcome_of(data)
        if outcome == "error":
            error_name = error_name_of(data)
    return {
        "id": event["id"],
        "user": user,
        "session": event["session"],
        "notebook": event.get("notebook"),
        "type": event["type"],
        "time": moment,
        "time_ms": time_ms(moment),
        "cell_id": cell.get("id"),
        "outcome": outcome,
        "error_name": error_name,
        "received": received,
        "event": json.dumps(stored, ensure_ascii=False, separators=(",", ":")),
    }
