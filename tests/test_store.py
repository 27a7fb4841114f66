"""The event store: durable, deduplicated, ordered by time, separated by user,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jelai.insight.analytics import summarise
from jelai.insight.sources import own_source
from jelai.store import EventStore, StoreError
from tests import postgres
from tests.conftest import Stores
from tests.postgres import free_port

EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "events.sqlite3"


@pytest.fixture
def location(stores: Stores) -> str | Path:
    """One store on each backend (an SQLite file, a PostgreSQL database)."""
    return stores.location("ana")


@pytest.fixture
def store(location: str | Path) -> Iterator[EventStore]:
    store = EventStore(location)
    yield store
    store.close()


def ids(events: list[dict]) -> list[str]:
    return [event["id"] for event in events]


def test_a_retried_batch_is_stored_once(store: EventStore, make_event: EventFactory) -> None:
    batch = [make_event() for _ in range(3)]
    assert store.add("ana", batch) == (3, 0)
    assert store.add("ana", batch) == (0, 3)
    assert store.add("ana", [batch[0], make_event()]) == (1, 1)
    assert len(store.query(user="ana", notebook="lab1.ipynb")) == 4


def test_events_come_back_oldest_first_whatever_the_arrival_order(
    store: EventStore, make_event: EventFactory
) -> None:
    first, second, third = make_event(), make_event(), make_event()
    # The same instant written with an offset still sorts by the moment it names.
    earliest = make_event(time="2024-03-01T11:59:00.000+02:00")  # 09:59 UTC
    store.add("ana", [third, first])
    store.add("ana", [second, earliest])
    assert ids(store.query(user="ana", notebook="lab1.ipynb")) == ids(
        [earliest, first, second, third]
    )


def test_limit_keeps_the_most_recent_events_oldest_first(
    store: EventStore, make_event: EventFactory
) -> None:
    events = [make_event() for _ in range(10)]
    store.add("ana", events[::-1])
    assert ids(store.query(user="ana", notebook="lab1.ipynb", limit=3)) == ids(events[-3:])


def test_since_keeps_only_later_events(store: EventStore, make_event: EventFactory) -> None:
    events = [make_event() for _ in range(5)]
    store.add("ana", events)
    since = events[1]["time"]
    assert ids(store.query(user="ana", notebook="lab1.ipynb", since=since)) == ids(events[2:])
    # The same instant in another time zone gives the same answer.
    assert ids(
        store.query(user="ana", notebook="lab1.ipynb", since="2024-03-01T12:00:01+02:00")
    ) == ids(events[2:])


def test_types_filter(store: EventStore, make_event: EventFactory) -> None:
    run, edit, save = make_event(), make_event("cell.edit"), make_event("notebook.save")
    store.add("ana", [run, edit, save])
    found = store.query(user="ana", notebook="lab1.ipynb", types=["cell.edit", "notebook.save"])
    assert ids(found) == ids([edit, save])


def test_users_and_notebooks_are_kept_apart(store: EventStore, make_event: EventFactory) -> None:
    ana, ben = make_event(), make_event()
    other_notebook = make_event(notebook="lab2.ipynb")
    store.add("ana", [ana, other_notebook])
    store.add("ben", [ben])
    assert ids(store.query(user="ana", notebook="lab1.ipynb")) == ids([ana])
    assert ids(store.query(user="ben", notebook="lab1.ipynb")) == ids([ben])
    assert ids(store.query(user=None, notebook="lab1.ipynb")) == ids([ana, ben])
    assert ids(store.query(user="ana", notebook=None)) == ids([ana, other_notebook])


def test_stored_event_is_the_envelope_plus_user_and_receipt_time(
    store: EventStore, make_event: EventFactory
) -> None:
    event = make_event(data={"source": "naïve = 'ü'", "success": False})
    store.add("ana", [event])
    (stored,) = store.query(user="ana", notebook="lab1.ipynb")
    received = stored.pop("received")
    assert stored == {**event, "user": "ana"}
    assert received.endswith("Z")


def test_an_answered_add_is_committed(
    store: EventStore, location: str | Path, make_event: EventFactory
) -> None:
    events = [make_event() for _ in range(4)]
    store.add("ana", events)
    # Another connection (another process, or the server after a crash) sees it.
    fresh = EventStore(location)
    try:
        assert ids(fresh.query(user="ana", notebook="lab1.ipynb")) == ids(events)
    finally:
        fresh.close()
    if store.path is not None:
        with sqlite3.connect(store.path) as other:
            assert other.execute("SELECT count(*) FROM events").fetchone() == (4,)
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_sqlite_store_syncs_every_commit(db_path: Path, make_event: EventFactory) -> None:
    store = EventStore(db_path)
    store.add("ana", [make_event()])
    with store.engine.connect() as conn:
        # 2 is FULL: an answered request survives a power cut.
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    store.close()


def test_the_data_folder_is_private(db_path: Path, make_event: EventFactory) -> None:
    store = EventStore(db_path)
    store.add("ana", [make_event()])
    store.close()
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_a_url_and_a_path_name_the_same_sqlite_store(
    db_path: Path, make_event: EventFactory
) -> None:
    event = make_event()
    by_path = EventStore(db_path)
    by_path.add("ana", [event])
    by_path.close()
    by_url = EventStore(f"sqlite:///{db_path}")
    assert by_url.path == db_path
    assert by_url.add("ana", [event]) == (0, 1)
    by_url.close()


def test_two_servers_storing_overlapping_batches_at_once_store_each_event_once(
    location: str | Path, make_event: EventFactory
) -> None:
    """Two servers on one store (a restarted one and the old one, or two
    service replicas) retry each other's batches: every event is stored and
    counted once, and their answers add up."""
    events = [make_event() for _ in range(400)]
    batches = [events[i : i + 40] for i in range(0, 400, 20)]  # each event sent twice
    servers = [EventStore(location), EventStore(location)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(
                pool.map(lambda n: servers[n % 2].add("ana", batches[n]), range(len(batches)))
            )
        assert sum(stored for stored, _ in answers) == 400
        assert sum(stored + duplicates for stored, duplicates in answers) == sum(map(len, batches))
        assert sorted(ids(servers[0].query(user="ana", notebook=None))) == sorted(ids(events))
        summary = summarise([own_source(servers[0], "ana")])
        assert summary["students"][0]["events"] == 400
        assert summary["students"][0]["executions"] == 400
    finally:
        for server in servers:
            server.close()


class HeldWrite:
    """Holds a store's next commit while batches are added, so that they arrive
    while a write is under way; counts every commit."""

    def __init__(self, store: EventStore) -> None:
        store.open()  # its migrations commit before counting starts
        self.store = store
        self.commits = 0
        self.writing = threading.Event()
        self._go = threading.Event()
        sa.event.listen(store.engine, "commit", self._commit)

    def _commit(self, conn: sa.Connection) -> None:
        self.commits += 1
        if self.commits == 1:
            self.writing.set()
            self._go.wait(timeout=60)

    def together(
        self, first: tuple[str, list[dict]], batches: list[tuple[str, list[dict]]]
    ) -> tuple[tuple[int, int], list[Future[tuple[int, int]]]]:
        """Adds `first`, then every batch while `first`'s commit is held: the answers."""
        with ThreadPoolExecutor(max_workers=len(batches) + 1) as pool:
            head = pool.submit(self.store.add, *first)
            assert self.writing.wait(timeout=60)
            futures = [pool.submit(self.store.add, *batch) for batch in batches]
            # Every batch is in line behind the held write (a bound, not a timing).
            deadline = time.monotonic() + 60
            while len(self.store._waiting or ()) < len(batches):
                assert time.monotonic() < deadline, "the batches never queued"
                time.sleep(0.001)
            self._go.set()
        # Every add has returned: the commits are all counted.
        sa.event.remove(self.store.engine, "commit", self._commit)
        return head.result(), futures


def counts(store: EventStore) -> dict[str, tuple[int, int]]:
    """Each student's events and executions in the class summary (the summary tables)."""
    summary = summarise([own_source(store, None)])
    return {s["user"]: (s["events"], s["executions"]) for s in summary["students"]}


def test_batches_arriving_during_a_write_share_one_commit_each_answered_its_own(
    db_path: Path, make_event: EventFactory
) -> None:
    store = EventStore(db_path)
    held = HeldWrite(store)
    first = [make_event() for _ in range(5)]
    fresh = [make_event() for _ in range(14)]
    retried, half, other_half = fresh[0:4], fresh[4:8], fresh[6:12]
    batches = [
        ("ben", retried),
        ("ben", list(retried)),  # a retry in the same group as the original
        ("cem", half),
        ("cem", other_half),  # two events also in `half`
        ("ana", first[3:] + fresh[12:]),  # two already stored by the write under way
    ]
    head, futures = held.together(("ana", first), batches)
    answers = [future.result() for future in futures]
    store.close()

    assert head == (5, 0)
    # Whichever of the group went first stored the events they share.
    assert sorted(answers[0:2]) == [(0, 4), (4, 0)]
    assert answers[2:4] in ([(4, 0), (4, 2)], [(2, 2), (6, 0)])
    assert answers[4] == (2, 2)
    # Six batches, two commits: the one under way, then the five that waited.
    assert held.commits == 2
    assert sorted(ids(store.query(user=None, notebook=None))) == sorted(ids(first + fresh))
    assert counts(store) == {"ana": (7, 7), "ben": (4, 4), "cem": (8, 8)}


def test_a_group_whose_transaction_fails_stores_none_of_its_batches_and_retries_succeed(
    db_path: Path, make_event: EventFactory
) -> None:
    store = EventStore(db_path)
    held = HeldWrite(store)
    first = [make_event() for _ in range(3)]
    small = [make_event()]  # fits in the pages the store already has
    large = [
        [make_event(data={"source": f"x = {i}\n" * 60, "success": True}) for i in range(40)]
        for _ in range(3)
    ]
    batches = [("ben", small)] + [(f"student{n}", batch) for n, batch in enumerate(large)]

    def full_disk(conn: sa.Connection) -> None:
        # SQLite's own limit on the file's size, set to the pages in use: the
        # group's transaction fails with SQLITE_FULL, as on a full disk.
        conn.exec_driver_sql("PRAGMA max_page_count = 1")

    sa.event.listen(store.engine, "begin", full_disk)
    try:
        head, futures = held.together(("ana", first), batches)
        for future in futures:
            with pytest.raises(StoreError, match="database or disk is full"):
                future.result()
    finally:
        sa.event.remove(store.engine, "begin", full_disk)
    assert head == (3, 0)
    # Nothing of the group is stored, not even the batch that fitted.
    assert sorted(ids(store.query(user=None, notebook=None))) == sorted(ids(first))

    # Space freed: every caller retries and is stored whole, once.
    assert [store.add(user, batch) for user, batch in batches] == [
        (len(batch), 0) for _, batch in batches
    ]
    everything = first + small + [event for batch in large for event in batch]
    assert sorted(ids(store.query(user=None, notebook=None))) == sorted(ids(everything))
    assert counts(store) == {
        "ana": (3, 3),
        "ben": (1, 1),
        **{f"student{n}": (40, 40) for n in range(3)},
    }
    store.close()


def test_many_threads_adding_overlapping_batches_at_once_store_each_event_once(
    store: EventStore, make_event: EventFactory
) -> None:
    events = [make_event() for _ in range(600)]
    batches = [events[i : i + 30] for i in range(0, 600, 15)]  # most events sent twice
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda batch: store.add("ana", batch), batches))
    assert [stored + duplicates for stored, duplicates in answers] == list(map(len, batches))
    assert sum(stored for stored, _ in answers) == 600
    assert sorted(ids(store.query(user="ana", notebook=None))) == sorted(ids(events))
    assert counts(store) == {"ana": (600, 600)}


def test_adding_a_batch_costs_as_much_in_a_large_store_as_in_a_small_one(
    tmp_path: Path, make_event: EventFactory
) -> None:
    """Storing a batch (its rows and their summaries) reads what it writes, not
    the events stored before it: SQLite's own count of the steps it runs."""

    def steps_of_one_more_batch(events_before: int) -> int:
        store = EventStore(tmp_path / f"store-{events_before}" / "events.sqlite3")
        for _ in range(0, events_before, 500):
            store.add("ana", [make_event() for _ in range(500)])
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0  # go on

        with store.engine.connect() as conn:
            conn.connection.driver_connection.set_progress_handler(count, 100)
        try:
            store.add("ana", [make_event() for _ in range(50)])
        finally:
            with store.engine.connect() as conn:
                conn.connection.driver_connection.set_progress_handler(None, 0)
            store.close()
        return steps[0]

    small, large = steps_of_one_more_batch(500), steps_of_one_more_batch(10_000)
    assert large < 1.5 * small


def test_many_users_share_one_store(store: EventStore, make_event: EventFactory) -> None:
    for n in range(30):
        store.add(f"student{n}", [make_event(), make_event(notebook="lab2.ipynb")])
    assert len(store.query(user=None, notebook=None)) == 60
    assert len(store.query(user="student7", notebook=None)) == 2
    summary = summarise([own_source(store, "student7")])
    assert [(s["user"], s["events"]) for s in summary["students"]] == [("student7", 2)]


def test_an_unwritable_folder_fails_clearly_and_works_once_fixed(
    tmp_path: Path, make_event: EventFactory
) -> None:
    # A file where the data folder should be: no account, root included, can write there.
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    store = EventStore(blocker / "events.sqlite3")
    batch = [make_event()]
    with pytest.raises(StoreError, match="cannot write to"):
        store.add("ana", batch)
    blocker.unlink()
    assert store.add("ana", batch) == (1, 0)
    store.close()


def test_an_unreachable_database_server_fails_clearly(make_event: EventFactory) -> None:
    closed_port = free_port()
    store = EventStore(f"postgresql://jelai:secret@127.0.0.1:{closed_port}/jelai")
    with pytest.raises(StoreError, match="cannot write to") as info:
        store.add("ana", [make_event()])
    # The message names the database, never its password.
    assert f"127.0.0.1:{closed_port}/jelai" in str(info.value)
    assert "secret" not in str(info.value)
    with pytest.raises(StoreError, match="cannot"):
        store.query(user="ana", notebook=None)
    store.close()


def test_a_machine_without_postgresql_fails_the_tests_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The PostgreSQL tests fail (never skip) where PostgreSQL is missing."""
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(postgres.Missing, match="apt-get install postgresql"):
        postgres.PostgresServer()
