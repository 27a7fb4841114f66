"""Makes store files the way jelai 0.1 wrote them, before the store had migrations.

The DDL and the insert are those of that release's `store.py` and
`analytics_schema.py`, kept here verbatim so the adoption of such a file by
the first migration is tested against the real thing. Development builds of
that release also left per-event triggers and an index behind; `triggers`
adds them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from jelai.record.events import utc_time

SCHEMA = """
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
CREATE INDEX IF NOT EXISTS events_type ON events (type, user, notebook, time);
CREATE TABLE activity (
    user TEXT NOT NULL, notebook TEXT NOT NULL, minute TEXT NOT NULL,
    events INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
    PRIMARY KEY (user, notebook, minute)
) WITHOUT ROWID;
CREATE TABLE executions (
    user TEXT NOT NULL, notebook TEXT NOT NULL, cell_id TEXT NOT NULL,
    runs INTEGER NOT NULL, failures INTEGER NOT NULL, last_failure TEXT,
    PRIMARY KEY (user, notebook, cell_id)
) WITHOUT ROWID;
CREATE TABLE failures (
    user TEXT NOT NULL, notebook TEXT NOT NULL, error_name TEXT NOT NULL,
    runs INTEGER NOT NULL,
    PRIMARY KEY (user, notebook, error_name)
) WITHOUT ROWID;
"""

# What development builds kept: per-event triggers and a computed index.
TRIGGERS = """
CREATE TRIGGER events_activity AFTER INSERT ON events BEGIN
    UPDATE activity SET events = events + 1; END;
CREATE TRIGGER events_count_runs AFTER INSERT ON events BEGIN
    UPDATE executions SET runs = runs + 1; END;
CREATE INDEX events_runs ON events (type, cell_id);
CREATE INDEX events_notebook_time ON events (notebook, time);
"""


def write(
    path: Path, batches: list[tuple[str, list[dict[str, Any]]]], *, triggers: bool = False
) -> None:
    """A store file of that release holding `batches` of (user, events), in order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    # Summary rows as that release counted them (not read by the new jelai).
    conn.execute("INSERT INTO activity VALUES ('ana', 'lab1.ipynb', '2024-03-01T10:00', 99, 0, 1)")
    if triggers:
        conn.executescript(TRIGGERS)
    for user, events in batches:
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
        conn.executemany(
            "INSERT OR IGNORE INTO events (id, user, session, notebook, type,"
            " time, cell_id, received, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()
