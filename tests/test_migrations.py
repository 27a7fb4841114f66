"""The store's schema under Alembic: created by the migrations, equal to the
tables the code describes, migrated once when servers open a store at once,
and stores written before migrations adopted without losing an event."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from jelai.insight.analytics import summarise
from jelai.insight.sources import Source, class_sources, own_source
from jelai.store import EventStore, StoreError, migrate
from jelai.store.tables import metadata
from tests import legacy_store
from tests.conftest import Stores
from tests.test_analytics import build_log

EventFactory = Callable[..., dict[str, Any]]


def course(make_event: EventFactory) -> list[tuple[str, list[dict[str, Any]]]]:
    """Batches of two students: runs, failures of every kind, help, two events
    in one millisecond, an event without a notebook."""
    log = build_log(make_event)
    same_ms = "2024-03-01T10:30:00.000Z"
    ana = [
        log(0),
        log(10, "cell.execute", cell="a", fail="KeyError"),
        log(20, "cell.execute", cell="a", fail="KeyError"),
        log(30, "cell.execute", cell="a", fail="KeyError"),
        log(40, "chat.exchange", notebook="lab2.ipynb"),
        make_event(time=same_ms, data={"success": False, "error": None}),  # aborted
        make_event(time=same_ms, data={"success": False, "error": {"name": "KeyboardInterrupt"}}),
        make_event("notebook.open", notebook=None, cell=None, data={}),
    ]
    bob = [log(5, "cell.execute", cell="b"), log(3700, "tutor.hint")]
    return [("ana", ana[:4]), ("bob", bob), ("ana", ana[4:]), ("ana", ana[:2])]


def all_events(batches: list[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    unique: dict[str, dict[str, Any]] = {}
    for user, events in batches:
        for event in events:
            unique.setdefault(event["id"], {**event, "user": user})
    return list(unique.values())


def stored_rows(path: Path) -> list[tuple[str, str]]:
    """(id, JSON) of every event in arrival order, read with sqlite3."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, event FROM events ORDER BY rowid").fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("triggers", [False, True], ids=["release", "development build"])
def test_a_store_from_before_migrations_keeps_every_event_and_counts_them_again(
    tmp_path: Path, make_event: EventFactory, triggers: bool
) -> None:
    batches = course(make_event)
    old = tmp_path / "old" / "events.sqlite3"
    legacy_store.write(old, batches, triggers=triggers)
    before = stored_rows(old)
    assert len(before) == len(all_events(batches))

    store = EventStore(old)
    more = [make_event(notebook="lab2.ipynb")]
    assert store.add("ana", [*more, batches[0][1][0]]) == (1, 1)  # the old ids are known
    # Every old event, as it was stored, in its arrival order; the new one last.
    after = stored_rows(old)
    assert after[: len(before)] == before
    assert [row[0] for row in after[len(before) :]] == [more[0]["id"]]
    with store.engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
        triggers_left = conn.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        assert triggers_left == []
    store.close()

    # The summaries are counted again from the events, as a new store counts them.
    fresh = tmp_path / "fresh" / "events.sqlite3"
    for user, events in batches:
        EventStore(fresh).add(user, events)
    EventStore(fresh).add("ana", more)
    for user in ("ana", "bob"):
        adopted = summarise([own_source(old, user)])
        expected = summarise([own_source(fresh, user)])
        assert adopted["students"] == expected["students"]
        assert adopted["series"] == expected["series"]
    ana = summarise([own_source(old, "ana")])["students"][0]
    # Three KeyErrors, an interrupt and the new run; the aborted cell never ran.
    assert (ana["executions"], ana["failures"], ana["questions"]) == (5, 3, 1)


def test_a_class_folder_of_old_stores_reads_the_same_and_is_not_written(
    tmp_path: Path, make_event: EventFactory
) -> None:
    """An instructor's server reads students' stores read-only: one a student's
    server has not opened since the upgrade is read as if migrated, untouched."""
    batches = course(make_event)
    legacy_store.write(tmp_path / "old" / "ana" / "events.sqlite3", batches, triggers=True)
    for user, events in batches:
        EventStore(tmp_path / "new" / "ana" / "events.sqlite3").add(user, events)
    old_file = tmp_path / "old" / "ana" / "events.sqlite3"
    before = digest(old_file)
    old = summarise(class_sources(tmp_path / "old"))
    new = summarise(class_sources(tmp_path / "new"))
    assert old["students"] == new["students"] and old["series"] == new["series"]
    assert old["unreadable"] == []
    # SQLite's read-only mode may add an empty -wal and its -shm index; the
    # database itself is untouched.
    assert digest(old_file) == before
    assert not Path(f"{old_file}-wal").exists() or Path(f"{old_file}-wal").stat().st_size == 0
    with sqlite3.connect(old_file) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" not in tables


def test_the_migrations_make_exactly_the_tables_of_the_code(stores: Stores) -> None:
    store = EventStore(stores.location("ana"))
    store.query(user="ana", notebook=None)  # opens (and migrates) the store
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert differences == []


def test_the_comparison_sees_a_missing_index(stores: Stores) -> None:
    """The check above would notice a revision that forgot something."""
    store = EventStore(stores.location("ana"))
    store.query(user="ana", notebook=None)
    with store.engine.begin() as conn:
        conn.execute(sa.schema.DropIndex(sa.Index("events_type", metadata.tables["events"].c.type)))
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert [d[0] for d in differences] == ["add_index"]


def test_servers_opening_a_store_at_once_migrate_it_once(
    stores: Stores, make_event: EventFactory
) -> None:
    location = stores.location("ana")
    batches = [[make_event() for _ in range(5)] for _ in range(8)]

    def open_and_add(batch: list[dict[str, Any]]) -> tuple[int, int]:
        store = EventStore(location)
        try:
            return store.add("ana", batch)
        finally:
            store.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(open_and_add, batches))
    assert answers == [(5, 0)] * 8
    store = EventStore(location)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            (migrate.head(),)
        ]
    assert len(store.query(user="ana", notebook=None)) == 40
    store.close()


def test_old_stores_opened_at_once_are_adopted_once(
    tmp_path: Path, make_event: EventFactory
) -> None:
    batches = course(make_event)
    path = tmp_path / "events.sqlite3"
    legacy_store.write(path, batches)
    before = stored_rows(path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: EventStore(path).add("ana", batches[0][1]), range(4)))
    assert answers == [(0, len(batches[0][1]))] * 4
    assert stored_rows(path) == before


def test_a_store_of_a_newer_jelai_is_refused_and_left_alone(
    stores: Stores, make_event: EventFactory
) -> None:
    location = stores.location("ana")
    store = EventStore(location)
    store.add("ana", [make_event()])
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    newer = EventStore(location)
    with pytest.raises(StoreError, match="revision 9999"):
        newer.add("ana", [make_event()])
    with newer.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1
    newer.close()
    source = stores.own("ana")
    assert summarise([source])["unreadable"] == ["ana"]


def test_a_source_url_reads_a_database_store(stores: Stores, make_event: EventFactory) -> None:
    stores.add("ana", [make_event()])
    if stores.url is None:
        url = f"sqlite:///{stores.location('ana')}"
    else:
        url = stores.url
    summary = summarise([Source(path=None, owner=None, url=url)])
    assert [(s["user"], s["events"]) for s in summary["students"]] == [("ana", 1)]
