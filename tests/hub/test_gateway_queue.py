"""The tutor's quota and fair queue in a real JupyterHub, with two students.

The service lets the model server generate one reply at a time and each
student ask two questions an hour. The fake model server holds every reply
after its first tokens until the test lets it go on, so who waits for whom
is decided by the gateway, not by timing. Every request goes the way a
browser's does: through the student's own server, which relays to the
service.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from tests.hub.hubtools import (
    COURSE_MODELS,
    NOTEBOOK,
    Hub,
    course_settings,
    running_hub,
    start_course,
    wait_for,
)
from tests.ndjson import ndjson_lines

pytestmark = pytest.mark.timeout(300)

HELD_AFTER = 2  # tokens the fake sends before holding a reply


class Class:
    """The running hub and the students' tokens."""

    def __init__(self, hub: Hub, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.tokens = tokens

    def ask(self, user: str, question: str) -> requests.Response:
        """A streamed question through `user`'s own server, as the tutor sends it."""
        body = {
            "model": COURSE_MODELS[0],
            "messages": [{"role": "user", "content": question}],
            "stream": True,
        }
        return self.hub.request(
            "POST",
            f"/user/{user}/jelai/ollama/api/chat",
            self.tokens[user],
            json=body,
            headers={"X-Jelai-Notebook": NOTEBOOK, "X-Jelai-Session": "page-1"},
            stream=True,
        )

    def events(self, user: str, kind: str) -> list[dict[str, Any]]:
        response = self.hub.request(
            "GET",
            f"/user/{user}/jelai/events",
            self.tokens[user],
            params={"notebook": NOTEBOOK, "type": kind},
        )
        assert response.status_code == 200, response.text
        return response.json()["events"]

    def fake(self, action: str, **settings: Any) -> Any:
        """The fake model server's control endpoints (not part of Ollama)."""
        url = f"{self.hub.ollama_url}/_fake/{action}"
        if action == "requests":
            return requests.get(url, timeout=5).json()["requests"]
        requests.post(url, json=settings, timeout=5).raise_for_status()

    def questions_received(self) -> list[str]:
        """The questions that reached the model server, in the order they came."""
        return [
            r["body"]["messages"][-1]["content"]
            for r in self.fake("requests")
            if r["path"] == "/api/chat"
        ]


class Reading:
    """The NDJSON lines of one streamed answer, read as the test needs them."""

    def __init__(self, response: requests.Response) -> None:
        assert response.status_code == 200, response.text
        self.response = response
        self._lines = ndjson_lines(response.iter_lines())

    def next(self) -> dict[str, Any]:
        return next(self._lines)

    def rest(self) -> list[dict[str, Any]]:
        rest = list(self._lines)
        self.response.close()
        return rest


def place(line: dict[str, Any]) -> int | None:
    return line.get("jelai", {}).get("queue", {}).get("position")


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Class]:
    root = tmp_path_factory.mktemp("hub-queue")
    queue = [
        "--JelaiService.max_concurrent_generations=1",
        "--JelaiService.student_questions_per_hour=2",
    ]
    with running_hub(root, course_settings(root, args=queue)) as hub:
        room = Class(hub, start_course(hub))
        yield room


def test_students_take_turns_see_their_place_and_a_quota_sends_nothing_on(room: Class) -> None:
    room.fake("config", hold_after=HELD_AFTER, delay=0.05)
    try:
        # ana's first question takes the one slot; the model holds it.
        first = Reading(room.ask("ana", "ana's first question"))
        assert [first.next()["done"] for _ in range(HELD_AFTER)] == [False] * HELD_AFTER
        # Her second waits, first in line...
        second = Reading(room.ask("ana", "ana's second question"))
        assert place(second.next()) == 1
        # ...until bob, who has not had a turn, asks: his question goes before hers.
        other = Reading(room.ask("bob", "bob's first question"))
        assert place(other.next()) == 1
        assert place(second.next()) == 2
        # One reply at a time reaches the model server.
        assert room.questions_received() == ["ana's first question"]

        # ana has asked two questions this hour, the most the course allows: her
        # third is refused at once, with when she may ask again, and not sent on.
        refused = room.ask("ana", "ana's third question")
        assert refused.status_code == 429, refused.text
        body = refused.json()
        retry_after = int(refused.headers["Retry-After"])
        assert retry_after == body["retry_after"] and 3000 < retry_after <= 3600
        retry_at = datetime.fromisoformat(body["retry_at"])
        assert retry_at > datetime.now(timezone.utc)
        assert "You can ask again at" in body["error"]
        assert (body["reason"], body["scope"]) == ("questions_per_hour", "student")
        assert room.questions_received() == ["ana's first question"]
    finally:
        room.fake("release")
        room.fake("config", hold_after=None, delay=0.0)

    replies = {name: reading.rest() for name, reading in (("ana 1", first), ("bob", other))}
    replies["ana 2"] = second.rest()
    for name, lines in replies.items():
        assert lines[-1]["done"] is True, name
        # Places are told before the reply begins, never within it.
        places = [line for line in lines if "jelai" in line]
        assert lines[: len(places)] == places, name
    # Once bob's turn came, ana's second question was next in line again.
    assert [place(line) for line in replies["ana 2"] if "jelai" in line] == [1]
    assert room.questions_received() == [
        "ana's first question",
        "bob's first question",
        "ana's second question",
    ]

    # The dashboard's record: who waited, from which place, and the refusal.
    def queued(user: str) -> list[tuple[int, str]]:
        return [
            (e["data"]["position"], e["data"]["outcome"]) for e in room.events(user, "tutor.queued")
        ]

    wait_for(lambda: queued("ana") and queued("bob"), "the waits' records", room.hub.logs)
    assert queued("ana") == [(1, "served")] and queued("bob") == [(1, "served")]
    [refusal] = room.events("ana", "tutor.refused")
    assert refusal["data"]["retry_at"] == body["retry_at"]
    assert (refusal["data"]["limit"], refusal["data"]["used"]) == (2, 2)
    exchanges = [e["data"]["status"] for e in room.events("ana", "chat.exchange")]
    assert exchanges == ["finished", "finished"]  # the refused question left no exchange
