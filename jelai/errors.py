"""The error every `/jelai/*` endpoint answers with; nothing here knows about tornado."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any


class JelaiError(Exception):
    """A request jelai refuses; becomes `{"error": message, "field": field}`."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class RateLimited(JelaiError):
    """A 429: the request is refused until `retry_after` seconds have passed.

    The answer carries `Retry-After` and, in its body, `retry_after` and
    `retry_at` (the same moment as an ISO time in UTC) beside anything
    in `details`.
    """

    def __init__(
        self,
        message: str,
        retry_after: int,
        *,
        retry_at: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(429, message)
        self.retry_after = max(retry_after, 1)
        if retry_at is None:
            moment = datetime.now(timezone.utc) + timedelta(seconds=self.retry_after)
            retry_at = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
        self.retry_at = retry_at
        self.details = dict(details or {})

    def body(self) -> dict[str, Any]:
        """The JSON answer: the error, when to try again, and the details."""
        return {
            "error": self.message,
            "field": self.field,
            "retry_after": self.retry_after,
            "retry_at": self.retry_at,
            **self.details,
        }
