"""Course mode when something fails, in a real JupyterHub: what a student is
told, and what the service's log keeps for staff.

The course's store is a PostgreSQL database on the test's own server, which
the test can take away from the service and give back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.hub.hubtools import (
    INSTRUCTOR,
    NOTEBOOK,
    SERVICE,
    Hub,
    course_settings,
    run,
    running_hub,
    start_course,
    wait_for,
)
from tests.postgres import PostgresServer

pytestmark = pytest.mark.timeout(300)

STORE_UNAVAILABLE = "The course's store is unavailable just now; try again in a moment."


class Course:
    """The running hub, its store and everyone's token."""

    def __init__(self, hub: Hub, store_url: str, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.store_url = store_url
        self.tokens = tokens

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


@pytest.fixture(scope="module")
def course(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    root = tmp_path_factory.mktemp("hub-faults")
    url = postgres.new_database()
    extra = course_settings(root, instructors=[INSTRUCTOR], store_url=url)
    with running_hub(root, extra) as hub:
        yield Course(hub, url, start_course(hub, extra["users"]))


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
