"""5. Resident memory of the Jupyter server under a long day of use.

A fresh server with jelai is warmed up (a first lot of events and chats, so
imports, caches and SQLite's page cache are in place), its VmRSS read from
/proc, then it ingests 100,000 events in the browser's batches of 50 while
500 chats stream through the proxy beside them, and VmRSS is read again.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from pathlib import Path

from client import Connection
from ingest import BATCH, events
from proxy import CHAT
from report import Row, at_most
from servers import Jupyter, fake_ollama, jelai_server

WARM_EVENTS, WARM_CHATS = 5_000, 50
SETTLE = 2.0  # seconds for the server to finish what it was doing before a reading


async def ingest(server: Jupyter, count: int) -> int:
    connection = Connection(server.port, {**server.auth, "Content-Type": "application/json"})
    failures = 0
    batch: list[dict] = []
    for event, _ in events(count):
        batch.append(event)
        if len(batch) == BATCH:
            body = json.dumps({"events": batch}).encode()
            failures += (await connection.request("POST", "/jelai/events", body)).status != 200
            batch = []
    await connection.close()
    return failures


async def chat(server: Jupyter, count: int) -> int:
    connection = Connection(server.port, {**server.auth, "Content-Type": "application/json"})
    failures = 0
    for _ in range(count):
        response = await connection.request("POST", "/jelai/ollama/api/chat", CHAT)
        failures += response.status != 200 or b'"done":true' not in response.body
    await connection.close()
    return failures


async def day(server: Jupyter, count: int, chats: int) -> int:
    failures = await asyncio.gather(ingest(server, count), chat(server, chats))
    return sum(failures)


def settled_rss(server: Jupyter) -> int:
    gc.collect()  # our own garbage must not delay the server's sockets
    time.sleep(SETTLE)
    return server.rss_kib()


def run(folder: Path, quick: bool) -> list[Row]:
    count, chats = (10_000, 50) if quick else (100_000, 500)
    fake = fake_ollama(folder / "memory", 0.0)
    server = None
    try:
        server = jelai_server(folder, "memory-server", fake.url)
        started = server.rss_kib()
        warm_failures = asyncio.run(day(server, WARM_EVENTS, WARM_CHATS))
        baseline = settled_rss(server)
        began = time.perf_counter()
        failures = asyncio.run(day(server, count, chats))
        took = time.perf_counter() - began
        after = settled_rss(server)
    finally:
        if server is not None:
            server.stop()
        fake.stop()
    growth = after / baseline - 1
    errors = failures + warm_failures
    return [
        Row(
            f"5. server memory (VmRSS) after {count:,} events + {chats} proxied chats "
            f"({took:.0f} s; {errors} failed requests)",
            f"{after / 1024:.1f} MiB",
            f"{baseline / 1024:.1f} MiB after warm-up ({started / 1024:.1f} MiB at start)",
            f"{growth:+.1%}",
            "growth <= 10%",
            at_most(growth * 100, 10, "%") if errors == 0 else f"MISSED: {errors} failed",
        )
    ]
