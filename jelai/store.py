"""The event store: one SQLite file, written durably before a request is answered.

Nothing here knows about tornado. Handlers run on one IO loop thread, but the
connection is guarded by a lock so other threads (analytics, tests) may share it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .analytics_schema import add_analytics_schema, update_summaries
from .events import utc_time

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    session TEXT NOT NULL,
    notebook TEXT,
    type TEXT NOT NULL,
    time TEXT NOT NULL,
    cell_id TEXT,
    received TEXT NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_user_notebook_time ON events (user, notebook, time);
-- Kept by development builds; every index costs each stored event a write.
DROP INDEX IF EXISTS events_notebook_time;
DROP INDEX IF EXISTS events_user_time;
"""


class StoreError(Exception):
    """The store cannot be opened, read or written (read-only or full disk...)."""


class EventStore:
    """Events of every user, one row per event id."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # Opened on first use, and again after a failure, so that a data folder
        # that was unwritable at start-up works as soon as it is fixed.

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # isolation_level=None: transactions are begun explicitly in `add`.
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL syncs every commit: an answered request survives a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
            add_analytics_schema(conn)
        except (OSError, sqlite3.Error) as err:
            if conn is not None:
                conn.close()
            raise StoreError(f"jelai cannot write to {self.path.parent}: {err}") from err
        self._conn = conn
        return conn

    def add(self, user: str, events: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Stores the events of `user` in one transaction: (stored, duplicates).

        An event whose id is already stored is ignored, so a retried batch
        never counts twice.
        """
        if not events:
            return 0, 0
        received = utc_time()
        rows = []
        for event in events:
            stored = {**event, "user": user, "received": received}
            cell = event.get("cell") or {}
            rows.append(
                (
                    event["id"],
                    user,
                    event["session"],
                    event.get("notebook"),
                    event["type"],
                    utc_time(event["time"]),
                    cell.get("id"),
                    received,
                    json.dumps(stored, ensure_ascii=False, separators=(",", ":")),
                )
            )
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    before = conn.execute("SELECT ifnull(max(rowid), 0) FROM events").fetchone()
                    cursor = conn.executemany(
                        "INSERT OR IGNORE INTO events (id, user, session, notebook, type,"
                        " time, cell_id, received, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    # Ignored duplicates get no rowid: only new rows are counted.
                    update_summaries(conn, before[0])
                    conn.execute("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back (disk full, I/O error).
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as err:
                # Reopen on the next call: the folder may be replaced or remounted.
                self._conn = None
                conn.close()
                raise StoreError(f"jelai cannot write to {self.path.parent}: {err}") from err
        stored_count = cursor.rowcount
        return stored_count, len(rows) - stored_count

    def query_json(
        self,
        *,
        user: str | None,
        notebook: str | None,
        since: str | None = None,
        limit: int | None = None,
        types: Sequence[str] | None = None,
    ) -> list[str]:
        """Like `query`, each event as its stored JSON text (no parsing, for responses)."""
        where: list[str] = []
        params: list[Any] = []
        # `None` means "any"; a notebook of None cannot be asked for, which no caller needs.
        for column, value in (("user", user), ("notebook", notebook)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("time > ?")
            params.append(utc_time(since))
        if types:
            where.append(f"type IN ({', '.join('?' * len(types))})")
            params.extend(types)
        sql = "SELECT event FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # rowid breaks ties between events of the same millisecond in arrival order.
        if limit is not None:
            sql += " ORDER BY time DESC, rowid DESC LIMIT ?"
            params.append(max(int(limit), 0))
        else:
            sql += " ORDER BY time, rowid"
        with self._lock:
            conn = self._connection()
            try:
                rows = [row[0] for row in conn.execute(sql, params)]
            except sqlite3.Error as err:
                raise StoreError(f"jelai cannot read {self.path}: {err}") from err
        if limit is not None:
            rows.reverse()
        return rows

    def query(
        self,
        *,
        user: str | None,
        notebook: str | None,
        since: str | None = None,
        limit: int | None = None,
        types: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Stored events (envelope plus `user` and `received`), oldest first.

        `since` keeps events strictly after that time; `limit` keeps the most
        recent N; `user` or `notebook` of None means any.
        """
        rows = self.query_json(user=user, notebook=notebook, since=since, limit=limit, types=types)
        return [json.loads(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
