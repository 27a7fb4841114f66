"""jelai in a real JupyterHub: two students and an instructor, end to end.

JupyterHub (from PyPI, the `test` extra) and configurable-http-proxy (from
npm, installed into tests/hub/node_modules on first use) run on loopback
ports with a local-process spawner; `jupyterhub_config.py` beside this file
says how. Every server loads the example course settings and writes its own
store in `<tmp>/jelai/<user>`; the instructor's server reads `<tmp>/jelai` as
the class. Everyone acts with their own password or token, through the hub's
proxy, as a browser or a script would.

What the Docker example adds on top (each student's container sees only its
own folder; the instructor's sees the class read-only) is checked statically
in test_examples.py: here every server runs as the same local account.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.hub.hubtools import (
    COURSE_MODELS,
    INSTRUCTOR,
    NOTEBOOK,
    REQUEST_SECONDS,
    STUDENTS,
    Hub,
    event,
    run,
    running_hub,
)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The hub of this module: every student's server keeps its own store."""
    with running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running


# ana works through the notebook and then asks the tutor (in `course`); bob
# fails three times in a row on one cell without asking: the stuck rule's case.
ACTIVITY = {
    "ana": [
        event("notebook.open", 12, None, {"cells": 4}),
        run("c1", 11),
        run("c2", 9, error="NameError"),
        run("c2", 7),
    ],
    "bob": [
        event("notebook.open", 10, None, {"cells": 4}),
        run("c3", 6, error="KeyError"),
        run("c3", 4, error="KeyError"),
        run("c3", 2, error="KeyError"),
    ],
}


@dataclass
class Class:
    hub: Hub
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def course(hub: Hub) -> Class:
    """Everyone's server started with their own token; the students have worked."""
    tokens = {user: hub.token(user) for user in [*STUDENTS, INSTRUCTOR]}
    hub.start_servers(tokens)
    for user, events in ACTIVITY.items():
        response = hub.request(
            "POST", f"/user/{user}/jelai/events", tokens[user], json={"events": events}
        )
        assert response.status_code == 200, response.text
        assert response.json()["stored"] == len(events)
    ask_the_tutor(hub, tokens["ana"])
    return Class(hub=hub, tokens=tokens)


def ask_the_tutor(hub: Hub, token: str) -> None:
    """ana's question, streamed from the model server through her server and the hub's proxy."""
    question = {
        "model": COURSE_MODELS[0],
        "messages": [{"role": "user", "content": "Why do I get a NameError?"}],
        "stream": True,
    }
    headers = {"X-Jelai-Notebook": NOTEBOOK, "X-Jelai-Session": "page-1"}
    with hub.request(
        "POST",
        "/user/ana/jelai/ollama/api/chat",
        token,
        json=question,
        headers=headers,
        stream=True,
    ) as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert len(lines) > 2 and lines[-1]["done"] is True
    assert "".join(line["message"]["content"] for line in lines[:-1])


def stored_users(store: Path) -> list[str]:
    """The `user` of every row of a store, read straight from its file."""
    with closing(sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute("SELECT user FROM events")]


def by_user(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {student["user"]: student for student in summary["students"]}


# -- the tests ---------------------------------------------------------------


def test_each_server_runs_the_course_settings_and_writes_its_own_folder(course: Class) -> None:
    hub = course.hub
    for user in STUDENTS:
        config = hub.request("GET", f"/user/{user}/jelai/config", course.tokens[user]).json()
        assert config["user"] == user
        assert config["data_dir"] == str(hub.data_dir / user)
        assert config["tutor"]["models"] == list(COURSE_MODELS)
        assert set(stored_users(hub.data_dir / user / "events.sqlite3")) == {user}


def test_the_instructor_sees_both_students_and_who_is_stuck(course: Class) -> None:
    hub = course.hub
    # In JupyterLab: logged in with a password, the dashboard's request carries the
    # server's cookie, and membership of the hub group makes the instructor.
    browser = hub.login(INSTRUCTOR)
    response = browser.get(
        f"{hub.url}/user/{INSTRUCTOR}/jelai/analytics/class", timeout=REQUEST_SECONDS
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["user"], summary["instructor"]) == (INSTRUCTOR, True)
    assert summary["unreadable"] == []
    students = by_user(summary)
    assert sorted(students) == list(STUDENTS)  # the instructor's own folder is not a student
    ana, bob = students["ana"], students["bob"]
    assert (ana["events"], ana["executions"], ana["failures"], ana["questions"]) == (5, 3, 1, 1)
    assert (bob["events"], bob["executions"], bob["failures"], bob["questions"]) == (4, 3, 3, 0)
    assert ana["stuck"] == []
    assert [(s["notebook"], s["cell_id"], s["failures"]) for s in bob["stuck"]] == [
        (NOTEBOOK, "c3", 3)
    ]

    # The same with an API token, for one student, and as a CSV export of the class.
    token = course.tokens[INSTRUCTOR]
    one = hub.request("GET", f"/user/{INSTRUCTOR}/jelai/analytics", token, params={"user": "bob"})
    assert one.status_code == 200, one.text
    assert list(by_user(one.json())) == ["bob"]
    export = hub.request("GET", f"/user/{INSTRUCTOR}/jelai/export", token, params={"format": "csv"})
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(row["user"] for row in rows) == ["ana"] * 5 + ["bob"] * 4


def test_a_student_sees_only_their_own_data(course: Class) -> None:
    hub, token = course.hub, course.tokens["ana"]
    own = hub.request("GET", "/user/ana/jelai/analytics", token)
    assert own.status_code == 200, own.text
    assert (own.json()["instructor"], list(by_user(own.json()))) == (False, ["ana"])

    # Through their own server: no class view, nobody else's summary or export.
    for path, params in (
        ("/user/ana/jelai/analytics/class", {}),
        ("/user/ana/jelai/analytics", {"user": "bob"}),
        ("/user/ana/jelai/export", {"user": "bob"}),
    ):
        response = hub.request("GET", path, token, params=params)
        assert response.status_code == 403, (path, params, response.text)
        assert "error" in response.json()  # refused by jelai, the hub let her in

    # Another user's server refuses her token outright: neither a student's
    # nor the instructor's (which reads the class) lets her in...
    for path in (
        f"/user/bob/jelai/events?notebook={NOTEBOOK}",
        "/user/bob/jelai/analytics",
        f"/user/{INSTRUCTOR}/jelai/analytics/class",
    ):
        response = hub.request("GET", path, token)
        assert response.status_code == 403, (path, response.text)
    # ...and logged in with her password, the hub will not open bob's JupyterLab.
    browser = hub.login("ana")
    response = browser.get(f"{hub.url}/user/bob/lab", timeout=REQUEST_SECONDS)
    assert response.status_code == 403, response.url


def test_nobody_writes_into_another_users_store(course: Class) -> None:
    hub, tokens = course.hub, course.tokens
    bob_store = hub.data_dir / "bob" / "events.sqlite3"
    # A student cannot post to another's server, nor claim to be someone else.
    forged = run("c1", 1)
    response = hub.request(
        "POST", "/user/bob/jelai/events", tokens["ana"], json={"events": [forged]}
    )
    assert response.status_code == 403
    forged["user"] = "bob"
    response = hub.request(
        "POST", "/user/ana/jelai/events", tokens["ana"], json={"events": [forged]}
    )
    assert (response.status_code, response.json()["field"]) == (400, "events[0].user")
    # Being an instructor grants reading the class, not acting in a student's server.
    response = hub.request(
        "POST", "/user/bob/jelai/events", tokens[INSTRUCTOR], json={"events": [run("c1", 1)]}
    )
    assert response.status_code == 403
    assert stored_users(bob_store) == ["bob"] * len(ACTIVITY["bob"])
