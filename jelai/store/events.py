"""The event store: every user's events in one database, written durably before
a request is answered.

    store = EventStore("/home/ana/.local/share/jupyter/jelai/events.sqlite3")
    store = EventStore("postgresql://jelai@db.example.org/course")
    store.add("ana", events)  # -> (stored, duplicates)

A path means an SQLite file (the embedded default), anything with `://` a
SQLAlchemy URL (see `engine`). The store is opened on first use, and again
after a failure, so a data folder or database that was unavailable at
start-up works as soon as it is back; opening it brings its schema up to date
(`migrate`). Every statement is SQLAlchemy Core. Nothing here knows about
tornado; connections come from a pool, so threads may share one store.

Group commit (SQLite): the file has one writer at a time, and each commit
waits for the disk (`synchronous=FULL`). So batches that arrive while a
write is under way wait in line, and the next thread to write stores every
batch waiting, its own among them, in one transaction: one commit for them
all. Each batch is still inserted and counted on its own, so every caller
gets its own (stored, duplicates); if the transaction fails, every caller
of the group gets the StoreError and none of their events is stored (they
retry, as after any failed write). A batch that arrives alone is stored
alone, at once. A database server commits concurrent transactions side by
side, so there each batch keeps its own: PostgreSQL taking six or sixteen
threads' batches stored about a third fewer events a second when they were
grouped behind one writer.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..record.events import utc_time
from . import engine as engines
from . import migrate, summaries
from .columns import row_of
from .errors import StoreError
from .tables import events


class EventStore:
    """Events of every user, one row per event id."""

    def __init__(self, location: str | Path) -> None:
        self.url = engines.store_url(location)
        # The SQLite file, or None for a database server.
        self.path = engines.sqlite_path(self.url)
        self.engine = engines.create(self.url)
        self._writer = self.engine.execution_options(**{engines.WRITE: True})
        self._lock = threading.Lock()
        self._ready = False
        # SQLite has one writer at a time anyway: its reads and writes take
        # turns, so a read issued while a write is under way sees that write.
        # A database server serves them side by side.
        self._turns: AbstractContextManager[Any] = (
            threading.Lock() if self.path is not None else nullcontext()
        )
        # SQLite: the batches waiting for the next writer (see "Group commit").
        self._waiting: list[_Batch] | None = [] if self.path is not None else None
        self._waiting_lock = threading.Lock()

    @property
    def where(self) -> str:
        """The store's place for messages: the data folder, or the database (no password)."""
        if self.path is not None:
            return str(self.path.parent)
        return self.url.render_as_string(hide_password=True)

    def open(self) -> None:
        """Creates the data folder and migrates the schema, once per process
        (every other method calls it); StoreError if that fails."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                if self.path is not None:
                    self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                migrate.upgrade(self.engine)
            except (OSError, sa.exc.SQLAlchemyError) as err:
                self.engine.dispose()
                raise StoreError(f"jelai cannot write to {self.where}: {_reason(err)}") from err
            self._ready = True

    def add(self, user: str, events_: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Stores the events of `user` in one transaction: (stored, duplicates).

        An event whose id is already stored is ignored, so a retried batch
        never counts twice; the summaries count only the rows inserted. On
        SQLite the transaction may hold other callers' batches too (group
        commit, above): all of them are stored, or none.
        """
        if not events_:
            return 0, 0
        received = utc_time()
        batch = _Batch([row_of(user, event, received) for event in events_])
        if self._waiting is None:
            self._store([batch])
        else:
            with self._waiting_lock:
                self._waiting.append(batch)
            with self._turns:
                # A writer that held the turn before may have stored it already.
                if batch.seqs is None and batch.failure is None:
                    with self._waiting_lock:
                        group = self._waiting.copy()
                        self._waiting.clear()
                    self._store(group)
        if batch.failure is not None:
            # Each caller raises an error of its own (their tracebacks differ).
            raise StoreError(str(batch.failure)) from batch.failure.__cause__
        assert batch.seqs is not None
        return len(batch.seqs), len(batch.rows) - len(batch.seqs)

    def _store(self, group: list[_Batch]) -> None:
        """Stores the batches of `group` in one transaction: each gets its seqs,
        or every one the StoreError that says why none was stored."""
        try:
            self.open()
            try:
                with self._writer.begin() as conn:
                    stored = [self._insert(conn, batch.rows) for batch in group]
            except sa.exc.SQLAlchemyError as err:
                # Reconnect on the next call: the folder may be replaced or remounted.
                self.engine.dispose()
                self._ready = False
                raise StoreError(f"jelai cannot write to {self.where}: {_reason(err)}") from err
        except StoreError as err:
            for batch in group:
                batch.failure = err
            return
        except BaseException as err:
            # Not the store's failure (a bug, an interrupt): it goes on up in this
            # thread; the other callers of the group, whose batches are not stored
            # either, are told so.
            failure = StoreError(f"jelai cannot write to {self.where}: {_reason(err)}")
            failure.__cause__ = err
            for batch in group:
                batch.failure = failure
            raise
        for batch, seqs in zip(group, stored):
            batch.seqs = seqs

    @staticmethod
    def _insert(conn: sa.Connection, rows: list[dict[str, Any]]) -> Sequence[int]:
        """Inserts the rows whose id is new and counts them in the summaries: their seqs."""
        seqs = conn.execute(_insert_new(conn.dialect.name), rows).scalars().all()
        summaries.fold(conn, seqs)
        return seqs

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
        query = sa.select(events.c.event)
        # `None` means "any"; a notebook of None cannot be asked for, which no caller needs.
        if user is not None:
            query = query.where(events.c.user == user)
        if notebook is not None:
            query = query.where(events.c.notebook == notebook)
        if since is not None:
            query = query.where(events.c.time > utc_time(since))
        if types:
            query = query.where(events.c.type.in_(list(types)))
        # seq breaks ties between events of the same millisecond in arrival order.
        if limit is not None:
            query = query.order_by(events.c.time.desc(), events.c.seq.desc())
            query = query.limit(max(int(limit), 0))
        else:
            query = query.order_by(events.c.time, events.c.seq)
        with self._turns:
            self.open()
            try:
                with self.engine.connect() as conn:
                    rows = list(conn.execute(query).scalars())
            except sa.exc.SQLAlchemyError as err:
                self.engine.dispose()
                raise StoreError(f"jelai cannot read {self.where}: {_reason(err)}") from err
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
        """Closes the pooled connections; the store opens again on next use."""
        self.engine.dispose()


@dataclass
class _Batch:
    """One caller's rows on their way into the store, and what became of them."""

    rows: list[dict[str, Any]]
    seqs: Sequence[int] | None = None  # the rows inserted, once stored
    failure: StoreError | None = None  # why the batch's transaction failed


@functools.cache
def _insert_new(dialect: str) -> Any:
    """INSERT of the rows whose id is not stored yet, RETURNING the seq of each
    row inserted (SQLite 3.35 on, PostgreSQL): a duplicate returns nothing."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(events).on_conflict_do_nothing(index_elements=["id"])
    return statement.returning(events.c.seq)


def _reason(err: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's statement and parameters."""
    original = getattr(err, "orig", None) or err
    return str(original).strip().splitlines()[0] if str(original).strip() else type(err).__name__
