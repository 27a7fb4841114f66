"""The tutor in a course, answered by a real model: a real JupyterHub with
the jelai service, whose one upstream is SmolLM2 on llama.cpp's
OpenAI-compatible server (the session's `real_model`).

As in the network namespace test, only the service is told where the model
server is, in a configuration file of its own; every question goes the
browser's way, to the student's own server, which relays to the service.
One hub serves every check of this module. The course sets temperature 0
and a reply limit of `COURSE_LIMIT` tokens (`c.JelaiTutor.model_options`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.hub.hubtools import NOTEBOOK, Hub, course_settings, running_hub, start_course, wait_for
from tests.ndjson import ndjson_lines, reply_text
from tests.real_model import DISCONNECTED, PERF_EVAL, RealModelServer

pytestmark = pytest.mark.timeout(300)

COURSE_LIMIT = 32  # tokens per reply, the course's num_predict
GUARD = 60.0  # seconds; only keeps a stuck model server from hanging the suite
# A question SmolLM2 answers at length in prose, so its reply runs into a limit.
LONG_QUESTION = "Tell me a long story about a cat who learns to program."


class Course:
    """The running hub, the model server behind its service, and the students' tokens."""

    def __init__(self, hub: Hub, model: RealModelServer, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.model = model
        self.tokens = tokens

    def ask(self, user: str, question: str, **fields: Any) -> requests.Response:
        """The tutor's question through `user`'s own server, streamed unless told otherwise."""
        body = {"messages": [{"role": "user", "content": question}], **fields}
        return self.hub.request(
            "POST",
            f"/user/{user}/jelai/ollama/api/chat",
            self.tokens[user],
            json={"model": self.model.model, **body},
            headers={"X-Jelai-Notebook": NOTEBOOK, "X-Jelai-Session": "page-1"},
            stream=True,
        )

    def exchanges(self, user: str) -> list[dict[str, Any]]:
        """The `chat.exchange` records of `user`'s questions, as the service keeps them."""
        response = self.hub.request(
            "GET",
            f"/user/{user}/jelai/events",
            self.tokens[user],
            params={"notebook": NOTEBOOK, "type": "chat.exchange"},
        )
        assert response.status_code == 200, response.text
        return [event["data"] for event in response.json()["events"]]


@pytest.fixture(scope="module")
def course(
    real_model: RealModelServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Course]:
    root = tmp_path_factory.mktemp("hub-real-model")
    upstreams = [{"url": real_model.url, "api": "openai", "models": [real_model.model]}]
    service_config = root / "service-config" / "jelai_service_config.py"
    service_config.parent.mkdir()
    service_config.write_text(
        f"c.JelaiTutor.upstreams = {upstreams!r}\n"
        f"c.JelaiTutor.default_model = {real_model.model!r}\n"
        f"c.JelaiTutor.model_options = {{'temperature': 0, 'num_predict': {COURSE_LIMIT}}}\n"
        f"c.JelaiTutor.context_window = {real_model.context}\n"
    )
    extra = course_settings(root) | {
        "models": [real_model.model],
        "service_config": str(service_config),
    }
    with running_hub(root, extra) as hub:
        course = Course(hub, real_model, start_course(hub, logs=[real_model.log_path]))
        yield course


def test_a_question_streams_back_cut_at_the_courses_limit_and_is_recorded(
    course: Course,
) -> None:
    with course.ask("ana", LONG_QUESTION) as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        lines = list(ndjson_lines(response.iter_lines()))
    *words, last = lines
    assert 10 <= len(words) <= COURSE_LIMIT
    assert all(line["done"] is False and line["message"]["content"] for line in words)
    # The course's limit cut the story short, and the tutor is told so.
    assert last["done"] is True and last["done_reason"] == "length"
    reply = reply_text(lines)
    assert reply.strip()

    [record] = course.exchanges("ana")
    assert record["status"] == "finished" and record["done_reason"] == "length"
    assert record["model"] == course.model.model
    assert record["options"]["num_predict"] == COURSE_LIMIT
    assert record["reply"] == reply
    # llama.cpp's server sends no token counts in a stream (see
    # tests/test_real_model_gateway.py): none in the last line, none recorded.
    assert "eval_count" not in last and record["eval_count"] is None


def test_an_unstreamed_reply_is_recorded_with_the_servers_token_counts(course: Course) -> None:
    with course.ask("bob", "Say hello.", stream=False, options={"num_predict": 4}) as response:
        assert response.status_code == 200, response.text
        reply = response.json()
    assert reply["done_reason"] == "length" and reply["eval_count"] == 4
    assert reply["prompt_eval_count"] > 100  # with the tutor's instructions the service added
    [record] = course.exchanges("bob")
    assert (record["eval_count"], record["prompt_eval_count"]) == (
        4,
        reply["prompt_eval_count"],
    )
    assert record["reply"] == reply["message"]["content"]


def test_a_student_who_stops_the_reply_stops_the_model_server(course: Course) -> None:
    model = course.model
    before = len(model.log())
    earlier = len(course.exchanges("ana"))
    # The student's own limit, within the course's range: a story of many seconds.
    with course.ask("ana", LONG_QUESTION, options={"num_predict": 1000}) as response:
        assert response.status_code == 200, response.text
        lines = ndjson_lines(response.iter_lines())
        first = [next(lines) for _ in range(3)]
        assert all(not line["done"] for line in first)
    # The student pressed stop: the browser's request is closed.
    model.wait_for_log(DISCONNECTED, GUARD, before)

    # The next question is answered, and it is the only generation that ran
    # to its end since the stopped one began.
    with course.ask("ana", "Say hello.", options={"num_predict": 3}) as response:
        assert list(ndjson_lines(response.iter_lines()))[-1]["done"]
    model.wait_for_log(PERF_EVAL, GUARD, before)
    assert model.completed_generations(before) == 1

    def recorded() -> list[dict[str, Any]] | None:
        found = course.exchanges("ana")[earlier:]
        return found if len(found) == 2 else None

    records = wait_for(recorded, "both exchanges' records", course.hub.logs)
    [stopped] = [r for r in records if r["status"] == "stopped"]
    assert stopped["done_reason"] is None and stopped["reply"].strip()
    assert [r["status"] for r in records].count("finished") == 1
