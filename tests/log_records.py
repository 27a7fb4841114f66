"""A logging handler that keeps what a logger writes, for tests that read a server's log."""

from __future__ import annotations

import logging


class Records(logging.Handler):
    """Keeps every record a logger writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
