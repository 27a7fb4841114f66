"""Course mode when something fails, in a real JupyterHub: what a student is
told, and what the service's log keeps for staff.

The course's store is a PostgreSQL database on the test's own server, which
the test can take away from the service and give back. The service's model
servers are written with credentials in their URLs, as some courses do:
the fake Ollama for the first model; for the second, a server that answers
500 to everything and a port nothing listens on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.hub.hubtools import (
    COURSE_MODELS,
    INSTRUCTOR,
    NOTEBOOK,
    SERVICE,
    Hub,
    course_settings,
    free_port,
    run,
    running_hub,
    start_course,
    wait_for,
)
from tests.ndjson import ndjson_lines
from tests.postgres import PostgresServer

pytestmark = pytest.mark.timeout(300)

STORE_UNAVAILABLE = "The course's store is unavailable just now; try again in a moment."


SECRETS = ("ModelKey-s3cret", "Other-s3cret", "Third-s3cret")


class Course:
    """The running hub, its store, its model servers and everyone's token."""

    def __init__(
        self, hub: Hub, store_url: str, tokens: dict[str, str], ports: dict[str, int]
    ) -> None:
        self.hub = hub
        self.store_url = store_url
        self.tokens = tokens
        # The model servers' ports: `fake`, `failing` (answers 500) and `dead`.
        self.ports = ports

    def relay(self, user: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request to `user`'s own server under /jelai/, with their token."""
        return self.hub.request(method, f"/user/{user}/jelai/{path}", self.tokens[user], **kwargs)

    def direct(self, user: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request straight to the service with `user`'s token (a script of theirs)."""
        return self.hub.request(method, f"{SERVICE}/{path}", self.tokens[user], **kwargs)

    @property
    def log(self) -> Path:
        """The hub's log, where the hub-managed service writes its own."""
        return self.hub.logs[0]


class LogWatch:
    """What a log gains from now on."""

    def __init__(self, log: Path) -> None:
        self._log = log
        self._start = log.stat().st_size

    def text(self) -> str:
        with self._log.open("rb") as log:
            log.seek(self._start)
            return log.read().decode(errors="replace")


class Failing(BaseHTTPRequestHandler):
    """A model server that answers 500 to everything."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": "the model runner crashed"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def failing() -> Iterator[int]:
    """The port of a model server that answers 500 to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def course(
    postgres: PostgresServer, failing: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Course]:
    root = tmp_path_factory.mktemp("hub-faults")
    url = postgres.new_database()
    ports = {"fake": free_port(), "failing": failing, "dead": free_port()}
    fake, second = COURSE_MODELS
    upstreams = [
        {"url": f"http://jelai:{SECRETS[0]}@127.0.0.1:{ports['fake']}", "models": [fake]},
        {"url": f"http://gpu2:{SECRETS[1]}@127.0.0.1:{ports['failing']}", "models": [second]},
        {"url": f"http://gpu3:{SECRETS[2]}@127.0.0.1:{ports['dead']}", "models": [second]},
    ]
    service_config = root / "service-config" / "jelai_service_config.py"
    service_config.parent.mkdir()
    service_config.write_text(f"c.JelaiTutor.upstreams = {upstreams!r}\n")
    # One question answered at a time per student: a second one waits in line.
    queue = ["--JelaiService.max_generations_per_student=1"]
    extra = course_settings(root, instructors=[INSTRUCTOR], store_url=url, args=queue)
    extra["service_config"] = str(service_config)
    with running_hub(root, extra, model_port=ports["fake"]) as hub:
        yield Course(hub, url, start_course(hub, extra["users"]), ports)


def test_a_store_outage_is_a_503_that_names_nothing_of_the_database(
    course: Course, postgres: PostgresServer
) -> None:
    database = sa.make_url(course.store_url)
    batch = {"events": [run("c1", 0.5)]}
    response = course.relay("ana", "POST", "events", json=batch)
    assert response.status_code == 200, response.text
    watch = LogWatch(course.log)
    postgres.close_database(course.store_url)
    try:
        for ask in (course.relay, course.direct):
            for method, path, kwargs in (
                ("POST", "events", {"json": {"events": [run("c1", 0.2)]}}),
                ("GET", "events", {"params": {"notebook": NOTEBOOK}}),
            ):
                response = ask("ana", method, path, **kwargs)
                # The browser keeps its batch and sends it again on a 503.
                assert response.status_code == 503, (path, response.text)
                assert STORE_UNAVAILABLE in response.json()["error"], response.text
                for secret in (database.host, str(database.port), database.database, "jelai@"):
                    assert str(secret) not in response.text, (secret, response.text)
    finally:
        postgres.reopen_database(course.store_url)
    # Staff read in the service's log which database failed and why.
    logged = wait_for(
        lambda: "not currently accepting connections" in watch.text() and watch.text(),
        "the store's error in the service's log",
        course.hub.logs,
    )
    assert f"{database.host}:{database.port}/{database.database}" in logged
    assert "AttributeError" not in logged
    # Back: the batch sent again is stored.
    wait_for(
        lambda: course.relay("ana", "POST", "events", json=batch).status_code == 200,
        "the store to be back",
        course.hub.logs,
    )


def test_a_refused_request_is_one_line_in_the_services_log(course: Course) -> None:
    watch = LogWatch(course.log)
    refusals = [
        (course.direct("ana", "GET", "analytics/class"), "403 GET /services/jelai/analytics/class"),
        (
            course.hub.request("GET", f"{SERVICE}/events", params={"notebook": NOTEBOOK}),
            "403 GET /services/jelai/events",
        ),
        (
            course.direct("ana", "POST", "events", json={"events": [{"type": "Made Up"}]}),
            "400 POST /services/jelai/events",
        ),
    ]
    for response, line in refusals:
        assert line.startswith(str(response.status_code)), response.text

    def lines() -> list[str]:
        return [line for line in watch.text().splitlines() if "/services/jelai/" in line]

    wait_for(lambda: len(lines()) >= len(refusals), "the service's log lines", course.hub.logs)
    # A student looping on a refused request adds one line each, no traceback.
    assert "Traceback" not in watch.text() and "Uncaught exception" not in watch.text()
    assert len(lines()) == len(refusals), lines()
    for logged, (response, line) in zip(lines(), refusals):
        assert f"WARNING | {line}: {response.json()['error']}" in logged, logged


def assert_nothing_of_where(text: str) -> None:
    """Nothing a student got says where a model server is, or its credentials."""
    for secret in (*SECRETS, "127.0.0.1", "gpu2", "gpu3"):
        assert secret not in text, (secret, text[:500])


def test_a_waiting_question_records_its_line_by_name_not_by_address(course: Course) -> None:
    fake = f"http://127.0.0.1:{course.ports['fake']}"
    question = {
        "model": COURSE_MODELS[0],
        "messages": [{"role": "user", "content": "What does groupby do?"}],
        "stream": True,
    }
    headers = {"X-Jelai-Notebook": NOTEBOOK, "X-Jelai-Session": "page-queued"}

    def ask() -> requests.Response:
        return course.relay(
            "ana", "POST", "ollama/api/chat", json=question, headers=headers, stream=True
        )

    requests.post(f"{fake}/_fake/config", json={"hold_after": 2}, timeout=5).raise_for_status()
    try:
        with ask() as first, ask() as second:
            answering, waiting = ndjson_lines(first.iter_lines()), ndjson_lines(second.iter_lines())
            assert "message" in next(answering)
            # Her own limit is one question at a time: the second waits its turn.
            assert next(waiting) == {"jelai": {"queue": {"position": 1}}}
            requests.post(f"{fake}/_fake/config", json={"hold_after": None}, timeout=5)
            requests.post(f"{fake}/_fake/release", timeout=5)
            assert list(answering)[-1]["done"] is True
            assert list(waiting)[-1]["done"] is True
    finally:
        requests.post(f"{fake}/_fake/config", json={"hold_after": None}, timeout=5)
        requests.post(f"{fake}/_fake/release", timeout=5)
    query = {"notebook": NOTEBOOK, "type": "tutor.queued"}
    response = course.relay("ana", "GET", "events", params=query)
    [queued] = response.json()["events"]
    # The line is the model's group, named by its one member's place in the list.
    assert (queued["data"]["upstream"], queued["data"]["cause"]) == ("1", "own_limit")
    assert_nothing_of_where(response.text)
    assert_nothing_of_where(course.relay("ana", "GET", "export").text)


def test_a_failing_model_server_is_named_by_its_label_and_only_the_log_says_where(
    course: Course,
) -> None:
    watch = LogWatch(course.log)
    question = {
        "model": COURSE_MODELS[1],
        "messages": [{"role": "user", "content": "Why a KeyError?"}],
        "stream": True,
    }
    headers = {"X-Jelai-Notebook": NOTEBOOK, "X-Jelai-Session": "page-failing"}
    for ask in (course.relay, course.direct):
        response = ask("bob", "POST", "ollama/api/chat", json=question, headers=headers)
        # Its two servers fail: one answers 500, the other cannot be reached.
        assert response.status_code in (500, 502), response.text
        assert_nothing_of_where(response.text)
    query = {"notebook": NOTEBOOK, "type": "chat.exchange"}
    response = course.relay("bob", "GET", "events", params=query)
    errors = [e["data"]["error"] for e in response.json()["events"]]
    assert len(errors) == 2 and all(errors), errors
    assert any("Model server 3 is not reachable." in error for error in errors), errors
    assert_nothing_of_where(response.text)
    assert_nothing_of_where(course.relay("bob", "GET", "export").text)
    # Staff read in the service's log which server failed, and where it is.
    failing, dead = course.ports["failing"], course.ports["dead"]
    expected = [
        f"Model server 2 at http://127.0.0.1:{failing} answered HTTP 500.",
        f"Model server 3 at http://127.0.0.1:{dead} is not reachable (",
    ]
    logged = wait_for(
        lambda: all(line in watch.text() for line in expected) and watch.text(),
        "the model servers' failures in the service's log",
        course.hub.logs,
    )
    assert not [secret for secret in SECRETS if secret in logged]
