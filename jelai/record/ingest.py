"""What a posted batch of events becomes before it is stored.

One place for a standalone server (`handlers.py`) and the course service
(`service/handlers.py`), so both store exactly the same thing:

1. the batch is validated against the schemas, whole (`events.validate_batch`);
2. the recording policy drops or trims what the instructor does not keep
   (`policy.apply_policy`);
3. notebook paths become plain paths (`paths.plain_event`);
4. times far from the server's clock are bounded (`times.bound_time`).

Nothing here knows about tornado.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Protocol

from ..errors import JelaiError
from .events import BatchTooLarge, EventError, validate_batch
from .paths import plain_event
from .policy import TelemetryPolicy, apply_policy
from .times import bound_time


class BatchLimits(TelemetryPolicy, Protocol):
    """The policy's fields plus the batch size limit (`JelaiTelemetry`)."""

    max_batch_events: int


def accept_batch(body: Any, telemetry: BatchLimits) -> tuple[list[dict[str, Any]], int]:
    """The events of a posted `{"events": [...]}` as they are to be stored, and
    how many the policy dropped; a JelaiError (400, or 413 for too many
    events) for the first problem, with nothing accepted."""
    try:
        events = validate_batch(body, telemetry.max_batch_events)
    except BatchTooLarge as error:
        raise JelaiError(413, error.message, error.field) from None
    except EventError as error:
        raise JelaiError(400, error.message, error.field) from None
    now = datetime.now(timezone.utc)
    allowed = (apply_policy(event, telemetry) for event in events)
    kept = [bound_time(plain_event(event), now) for event in allowed if event is not None]
    return kept, len(events) - len(kept)
