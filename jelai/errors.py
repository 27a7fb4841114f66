"""The error every `/jelai/*` endpoint answers with; nothing here knows about tornado."""

from __future__ import annotations


class JelaiError(Exception):
    """A request jelai refuses; becomes `{"error": message, "field": field}`."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
