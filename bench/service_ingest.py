"""8. The course service taking a whole class's events at once.

`jelai service` runs as an external service of a real JupyterHub
(`tests/hub/hubtools.running_hub` with `jupyterhub_config.py` beside this
file). 500 hub users each get an API token with the scopes of a user's
server token, as the relay in a student's server sends with
$JUPYTERHUB_API_TOKEN. 500 simulated servers, each on a keep-alive
connection of its own, post batches of 50 events straight to the service's
`events` endpoint, at most IN_FLIGHT requests at once, for a bounded time.
The service asks the hub who each token belongs to (HubAuth caches the
answer, as in a course); one warm-up batch per user fills that cache before
the clock starts.

Reference in the same run: the events handler's own work on the same
batches in this process (parse the body, `accept_batch`, `EventStore.add`),
one batch after another, on a fresh database of the same kind, so the ratio
is what being a hub service costs or gains: HTTP, the hub's identity, the
limits, the hand-off to the store's threads, 500 callers at once. Service
and reference take turns, four times (twice with --quick). It runs on SQLite
(WAL, synchronous=FULL) and on PostgreSQL with its durable defaults (fsync
on). Afterwards the service's store is counted: every event sent must be
there. The per-user limits are raised for the run (it sends a whole class's
events at the service's top speed, far beyond what students produce); a 429
would still be counted apart.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from client import Connection, Response
from ingest import uuid7
from report import Row, at_least, failed, median, ms, percentile
from servers import ROOT, Process, free_port

sys.path.insert(0, str(ROOT))

from jelai.config import JelaiTelemetry  # noqa: E402
from jelai.record.ingest import accept_batch  # noqa: E402
from jelai.service.config import READ_CLASS_SCOPE  # noqa: E402
from jelai.service.hub_config import SERVER_TOKEN_SCOPES  # noqa: E402
from jelai.store import EventStore, store_url  # noqa: E402
from jelai.store.tables import events as events_table  # noqa: E402
from jelai.web.json_body import parse_json_body  # noqa: E402
from tests.hub.hubtools import Hub, running_hub  # noqa: E402
from tests.postgres import Missing, PostgresServer  # noqa: E402

STUDENTS = 500
BATCH = 50  # what a student's browser sends per request, relayed as it is
IN_FLIGHT = 50  # requests the class has at the service at any one moment
TARGET = 0.5  # the service's events/s against the handler's work done in process
PREFIX = "/services/jelai/"
HUB_CONFIG = Path(__file__).with_name("jupyterhub_config.py")
JSON = {"Content-Type": "application/json"}


def batch(user: int) -> list[dict[str, Any]]:
    """Fresh cell executions of one student, as their browser describes them."""
    now = int(time.time() * 1000)
    stamp = datetime.fromtimestamp(now / 1000, timezone.utc).isoformat(timespec="milliseconds")
    return [
        {
            "schema_version": 1,
            "id": uuid7(now),
            "time": stamp.replace("+00:00", "Z"),
            "session": f"page-{user}",
            "notebook": "lab1.ipynb",
            "kernel": {"id": f"k-{user}", "name": "python3"},
            "type": "cell.execute",
            "cell": {"id": f"cell-{n % 40}", "index": n % 40, "type": "code"},
            "data": {"source": f"total = total + {n}", "success": True},
        }
        for n in range(BATCH)
    ]


@dataclass
class Tally:
    """What the simulated servers sent and how the service answered."""

    sent: int = 0  # events posted
    accepted: int = 0  # events in batches answered 200
    limited: int = 0  # batches answered 429
    errors: int = 0  # other answers, or no answer
    seconds: float = 0.0  # wall time of the timed turns
    latencies: list[float] = field(default_factory=list)

    def count(self, response: Response | None, timed: bool) -> None:
        if response is None or response.status not in (200, 429):
            self.errors += 1
        elif response.status == 429:
            self.limited += 1
        else:
            self.accepted += BATCH
            if timed:
                self.latencies.append(response.total)


async def post(connections: list[Connection], tally: Tally, seconds: float | None) -> None:
    """Each user's server posts batches on its own connection until `seconds` have
    passed (one batch each for None), IN_FLIGHT requests at most at once."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    began = time.perf_counter()
    deadline = began + (seconds or 0.0)

    async def server(user: int, connection: Connection) -> None:
        while True:
            async with gate:
                if seconds is not None and time.perf_counter() >= deadline:
                    return
                body = json.dumps({"events": batch(user)}).encode()
                tally.sent += BATCH
                try:
                    response = await connection.request("POST", PREFIX + "events", body)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                    response = None
                    await connection.close()  # the next request connects again
            tally.count(response, timed=seconds is not None)
            if seconds is None:
                return

    await asyncio.gather(*(server(n, c) for n, c in enumerate(connections)))
    if seconds is not None:
        tally.seconds += time.perf_counter() - began


def reference(store: EventStore, users: list[str], seconds: float) -> tuple[int, float]:
    """The events handler's own work on the same batches, in process, one batch after
    another: parse, validate and apply the policy (`accept_batch`), `EventStore.add`.
    Returns (events, seconds spent in that work)."""
    telemetry = JelaiTelemetry()  # the service's defaults
    added, took = 0, 0.0
    deadline = time.perf_counter() + seconds
    for n, user in itertools.cycle(enumerate(users)):
        if time.perf_counter() >= deadline:
            break
        body = json.dumps({"events": batch(n)}).encode()
        began = time.perf_counter()
        kept, _ = accept_batch(parse_json_body(body, telemetry.max_body_bytes), telemetry)
        store.add(user, kept)
        took += time.perf_counter() - began
        added += len(kept)
    return added, took


def stored(url: str) -> int:
    engine = sa.create_engine(store_url(url))
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(events_table)
            return int(conn.execute(query).scalar() or 0)
    finally:
        engine.dispose()


def hub_tokens(hub: Hub, users: list[str]) -> list[str]:
    """A token per user with a student's server token's scopes, asked for with the
    user's password (the hub gives a server token the read-class scope only if
    its owner holds it, and refuses to grant it here)."""
    scopes = [scope for scope in SERVER_TOKEN_SCOPES if scope != READ_CLASS_SCOPE]

    def token(user: str) -> str:
        response = requests.post(
            f"{hub.url}/hub/api/users/{user}/tokens",
            json={
                "auth": {"username": user, "password": hub.password},
                "note": "bench",
                "scopes": scopes,
            },
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["token"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(token, users))


@dataclass
class Course:
    """The running hub, where the service listens, and the class's tokens."""

    folder: Path
    hub: Hub
    port: int
    service_token: str
    users: list[str]
    tokens: list[str]

    def service(self, name: str, url: str) -> Process:
        """`jelai service` on the store at `url`, given what a hub gives an external service."""
        argv = [sys.executable, "-m", "jelai.cli", "service"]
        argv += [f"--JelaiService.store_url={url}", "--JelaiService.max_events_per_minute=10000000"]
        env = {
            "JUPYTERHUB_API_URL": f"{self.hub.url}/hub/api",
            "JUPYTERHUB_API_TOKEN": self.service_token,
            "JUPYTERHUB_SERVICE_NAME": "jelai",
            "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{self.port}",
        }
        process = Process(name, argv, self.folder, env, port=self.port)
        return process.start(PREFIX + "config", {"Authorization": f"token {self.tokens[0]}"})


async def turns(
    course: Course, store: EventStore, warm: Tally, tally: Tally, quick: bool
) -> tuple[int, float]:
    """A warm-up batch per user, then the reference and the service take turns;
    the reference's events and seconds."""
    rounds, turn = (2, 2.0) if quick else (4, 6.0)
    connections = [
        Connection(course.port, {"Authorization": f"token {token}", **JSON})
        for token in course.tokens
    ]
    added, took = 0, 0.0
    try:
        await post(connections, warm, None)
        for _ in range(rounds):
            events, seconds = reference(store, course.users, turn / 2)
            added, took = added + events, took + seconds
            await post(connections, tally, turn)
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return added, took


def measure(course: Course, kind: str, service_url: str, reference_url: str, quick: bool) -> Row:
    """The service and the reference on one kind of store."""
    warm, tally = Tally(), Tally()
    store = EventStore(reference_url)
    store.open()
    try:
        with course.service(f"service-{kind}", service_url):
            added, took = asyncio.run(turns(course, store, warm, tally, quick))
    finally:
        store.close()
    kept, sent = stored(service_url), warm.sent + tally.sent
    limited, errors = warm.limited + tally.limited, warm.errors + tally.errors
    if not tally.latencies:
        raise RuntimeError(f"no batch was stored ({errors} errors); see service-{kind}.log")
    rate, bare = tally.accepted / tally.seconds, added / took
    ratio = rate / bare
    whole = kept == sent and not limited and not errors
    verdict = at_least(ratio, TARGET, "x") if whole else "MISSED: events lost or refused"
    latency = tally.latencies
    return Row(
        f"8. course service ingest on {kind}: {STUDENTS} users' servers, {BATCH} events "
        f"per batch, {IN_FLIGHT} in flight, {tally.seconds:.0f} s in turns",
        f"{rate:,.0f} events/s ({rate / STUDENTS:.1f} per user per s); batch p50 "
        f"{ms(median(latency))}, p99 {ms(percentile(latency, 99))}; stored {kept:,} of "
        f"{sent:,} sent, {limited} answered 429, {errors} errors",
        f"{bare:,.0f} events/s the handler's work in process (parse, accept_batch, "
        "EventStore.add), one batch after another",
        f"{ratio:.2f}x",
        f">= {TARGET}x, nothing lost",
        verdict,
    )


def on_postgres(course: Course, quick: bool) -> Row:
    server = PostgresServer(durable=True)
    try:
        server.start()
        return measure(course, "PostgreSQL", server.new_database(), server.new_database(), quick)
    finally:
        server.stop()


def on_sqlite(course: Course, quick: bool) -> Row:
    place = course.folder / "stores"
    urls = [f"sqlite:///{place / name / 'events.sqlite3'}" for name in ("service", "reference")]
    return measure(course, "SQLite", *urls, quick)


def run(folder: Path, quick: bool) -> list[Row]:
    root = folder.absolute() / "service-hub"
    root.mkdir(parents=True)
    users = [f"student{n:03d}" for n in range(STUDENTS)]
    port, token = free_port(), secrets.token_hex(32)
    service = {"url": f"http://127.0.0.1:{port}", "api_token": token}
    rows = []
    try:
        with running_hub(root, {"users": users, "service": service}, config=HUB_CONFIG) as hub:
            course = Course(root, hub, port, token, users, hub_tokens(hub, users))
            for kind, way in (("SQLite", on_sqlite), ("PostgreSQL", on_postgres)):
                try:
                    rows.append(way(course, quick))
                except (Missing, RuntimeError, OSError, sa.exc.SQLAlchemyError) as error:
                    why = f"{type(error).__name__}: {str(error)[:300]}"
                    rows.append(failed(f"8. course service ingest on {kind}", why))
    except (Exception, pytest.fail.Exception) as error:  # the hub did not start
        rows.append(failed("8. course service ingest", f"{type(error).__name__}: {error}"[:300]))
    return rows
