"""The event store on SQLAlchemy Core: SQLite (embedded default) or PostgreSQL.

`tables` holds the schema, `columns` what is read out of each event,
`summaries` the analytics tables kept per batch, `migrate` and `migrations/`
the Alembic revisions, `engine` the connection settings, `events` the store
(`EventStore`: one URL, any number of users, safe to share between threads),
`readonly` the connections insight and export read with.
"""

from __future__ import annotations

from .engine import store_url
from .errors import StoreError
from .events import EventStore

__all__ = ["EventStore", "StoreError", "store_url"]
