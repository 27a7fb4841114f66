"""What only staff read: the fields the schemas mark `"x-staff-only": true`.

The guardrails keep from the student part of what the model wrote (a long
code block, a reply giving the solution away); the record keeps it for
instructors (`chat.exchange`'s `model_reply` and `model_reasoning`), with
a thinking model's reasoning, which often restates its instructions
(`reasoning`), and how close a held-back reply came to a reference
solution and how long that is (`tutor.leak_blocked`'s `region`,
`reproduced`, `reference_shingles` and `share`). A student reads their own
events back (the tutor's history) and downloads them, so every route that
answers a student passes the events through `for_student` first; only an
instructor's download and `jelai export` (run by whoever holds the store)
keep these fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .events import TYPES_SCHEMA

# Event type -> its staff-only data fields.
STAFF_FIELDS: dict[str, frozenset[str]] = {
    name: fields
    for name, spec in TYPES_SCHEMA["types"].items()
    if (
        fields := frozenset(
            field for field, prop in spec.get("properties", {}).items() if prop.get("x-staff-only")
        )
    )
}
# How a stored row that may hold one spells it (the server writes these keys plainly).
_MARKS = tuple(f'"{field}"' for fields in STAFF_FIELDS.values() for field in fields)


def event_for_student(event: dict[str, Any]) -> dict[str, Any]:
    """The event without the fields only staff read."""
    hidden = STAFF_FIELDS.get(event.get("type"))  # type: ignore[arg-type]
    data = event.get("data")
    if not hidden or not isinstance(data, dict) or hidden.isdisjoint(data):
        return event
    return {**event, "data": {k: v for k, v in data.items() if k not in hidden}}


def for_student(rows: Iterable[str]) -> list[str]:
    """Stored events (JSON text) as a student may read them; only the rows that
    may hold a staff-only field are parsed."""
    out = []
    for row in rows:
        if any(mark in row for mark in _MARKS):
            event = json.loads(row)
            shown = event_for_student(event)
            if shown is not event:
                row = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
        out.append(row)
    return out
