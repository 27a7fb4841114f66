"""The store's one error type."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened, read or written (read-only or full disk,
    a database server that is down, a schema newer than this jelai...)."""
