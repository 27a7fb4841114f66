"""The course service's gateway under load: quotas and the fair queue, over HTTP.

The service runs in the test's event loop beside the fake Ollama, the hub
stood in for (`tests/service_in_process.py`), so that these tests need no
JupyterHub. tests/hub/ runs the same with a real one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse

from tests.fake_ollama import FakeOllama
from tests.ndjson import NdjsonStream
from tests.service_in_process import GUARD, PREFIX, Service, services


class Asking:
    """One student's streamed question, its lines gathered as they arrive."""

    def __init__(
        self, service: Service, user: str, question: str, model: str = "llama3.1:8b"
    ) -> None:
        self.user = user
        self.arrived = asyncio.Event()
        self.reply = NdjsonStream(lambda _: self.arrived.set())
        body = {"model": model, "messages": [{"role": "user", "content": question}]}
        request = HTTPRequest(
            service.url("ollama/api/chat"),
            method="POST",
            body=json.dumps(body),
            headers={"Authorization": f"token {user}", "X-Jelai-Notebook": "lab.ipynb"},
            streaming_callback=self.reply,
            request_timeout=GUARD,
        )
        self.done: asyncio.Future[HTTPResponse] = asyncio.ensure_future(
            AsyncHTTPClient(force_instance=True).fetch(request, raise_error=False)
        )

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self.reply.lines

    @property
    def raw(self) -> bytes:
        """The whole body (a refusal's JSON is no line)."""
        return self.reply.raw

    @property
    def places(self) -> list[int]:
        return [line["jelai"]["queue"]["position"] for line in self.lines if "jelai" in line]

    async def until(self, check: Any) -> None:
        """Waits for lines until `check(self)` holds."""

        async def wait() -> None:
            while not check(self):
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), GUARD)


@pytest.fixture
def service_options() -> list[str]:
    return ["--JelaiService.max_concurrent_generations=1"]


@pytest.fixture
def start_service(
    jp_asyncio_loop: asyncio.AbstractEventLoop,
    fake: FakeOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """Starts services over one store (a second one is the first restarted)."""
    with services(jp_asyncio_loop, monkeypatch, tmp_path / "events.sqlite3", fake) as start:
        yield start


@pytest.fixture
def service(
    jp_asyncio_loop: asyncio.AbstractEventLoop, start_service: Any, service_options: list[str]
) -> Service:
    return jp_asyncio_loop.run_until_complete(start_service(service_options))


def chats(fake: FakeOllama) -> list[str]:
    """The questions that reached the model server, in the order they came."""
    return [r.body["messages"][-1]["content"] for r in fake.received("/api/chat")]


async def test_waiting_students_see_their_place_and_take_turns(
    service: Service, fake: FakeOllama
) -> None:
    fake.configure(hold_after=1)  # every reply waits after its first token
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    second = Asking(service, "ana", "ana 2")
    await second.until(lambda asking: asking.places == [1])
    other = Asking(service, "bob", "bob 1")
    # bob has not had a turn: his first question goes before ana's second.
    await other.until(lambda asking: asking.places == [1])
    await second.until(lambda asking: asking.places == [1, 2])
    assert chats(fake) == ["ana 1"]  # one generation at a time

    fake.release()
    responses = [await asking.done for asking in (first, second, other)]
    assert [r.code for r in responses] == [200, 200, 200]
    assert chats(fake) == ["ana 1", "bob 1", "ana 2"]
    for asking in (first, second, other):
        # The queue lines come first, then the reply, ending with its done line.
        assert asking.lines[-1]["done"] is True
        replies = [line for line in asking.lines if "jelai" not in line]
        assert asking.lines == [line for line in asking.lines if "jelai" in line] + replies
    # Each wait is recorded: the place on arrival, and that it was served.
    for user in ("ana", "bob"):
        [queued] = await service.events(user, "tutor.queued")
        data = queued["data"]
        assert (data["position"], data["outcome"], data["upstream"]) == (1, "served", "default")


async def test_a_student_who_stops_while_waiting_leaves_the_line(
    service: Service, fake: FakeOllama
) -> None:
    fake.configure(hold_after=1)
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    body = json.dumps({"model": "llama3.1:8b", "messages": [{"role": "user", "content": "bob"}]})
    head = [
        f"POST {PREFIX}ollama/api/chat HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Length: {len(body)}",
        "Authorization: token bob",
        "X-Jelai-Notebook: lab.ipynb",
    ]
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body.encode())
    received = b""
    while b'"position": 1' not in received:
        received += await asyncio.wait_for(reader.read(4096), GUARD)
    writer.close()  # bob pressed stop while waiting

    async def left() -> None:
        while not await service.events("bob", "tutor.queued"):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(left(), GUARD)
    [queued] = await service.events("bob", "tutor.queued")
    assert queued["data"]["outcome"] == "left"
    [stopped] = await service.events("bob", "chat.exchange")
    assert stopped["data"]["status"] == "stopped"
    fake.release()
    assert (await first.done).code == 200
    later = Asking(service, "cid", "cid 1")
    assert (await later.done).code == 200
    assert later.places == []  # nobody waits: answered at once
    assert chats(fake) == ["ana 1", "cid 1"]  # bob's question never reached the model


@pytest.mark.parametrize("service_options", [["--JelaiService.student_questions_per_hour=2"]])
async def test_a_question_past_the_quota_is_refused_with_when_and_survives_a_restart(
    service: Service, fake: FakeOllama, start_service: Any, service_options: list[str]
) -> None:
    for n in (1, 2):
        assert (await Asking(service, "ana", f"ana {n}").done).code == 200
    third = Asking(service, "ana", "ana 3")
    refused = await third.done
    assert refused.code == 429
    body = json.loads(third.raw)
    assert int(refused.headers["Retry-After"]) == body["retry_after"] > 3500
    assert body["retry_at"].endswith("Z") and "You can ask again at" in body["error"]
    assert (body["reason"], body["scope"]) == ("questions_per_hour", "student")
    assert chats(fake) == ["ana 1", "ana 2"]  # nothing was sent on
    [event] = await service.events("ana", "tutor.refused")
    assert event["data"]["retry_at"] == body["retry_at"]
    assert (event["data"]["limit"], event["data"]["used"]) == (2, 2)
    # Others are not held up; instructors are exempt.
    assert (await Asking(service, "bob", "bob 1").done).code == 200
    for n in (1, 2, 3):
        assert (await Asking(service, "teacher", f"teacher {n}").done).code == 200

    # The service restarts: the counts come back from the stored exchanges.
    restarted = await start_service(service_options)
    fourth = Asking(restarted, "ana", "ana 4")
    assert (await fourth.done).code == 429
    assert json.loads(fourth.raw)["reason"] == "questions_per_hour"
    assert (await Asking(restarted, "bob", "bob 2").done).code == 200
    assert "ana 4" not in chats(fake)


async def test_an_unstreamed_question_waits_without_queue_lines(
    service: Service, fake: FakeOllama
) -> None:
    fake.configure(hold_after=1)
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "x"}], "stream": False}
    request = HTTPRequest(
        service.url("ollama/api/chat"),
        method="POST",
        body=json.dumps(body),
        headers={"Authorization": "token bob"},
        request_timeout=GUARD,
    )
    waiting = asyncio.ensure_future(AsyncHTTPClient(force_instance=True).fetch(request))

    async def queued() -> None:
        while not service.app.gate.queue.waiting():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(queued(), GUARD)
    fake.release()
    answer = await waiting
    assert json.loads(answer.body)["done"] is True  # one JSON object, as Ollama sends it
    assert (await first.done).code == 200


async def test_an_error_after_queue_lines_is_one_more_line(
    service: Service, fake: FakeOllama
) -> None:
    fake.configure(hold_after=1)
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    fake.configure(models=["qwen2.5:0.5b"])  # the model is gone by bob's turn
    other = Asking(service, "bob", "bob 1")
    await other.until(lambda asking: asking.places == [1])
    fake.release()
    response = await other.done
    assert response.code == 200  # the answer had begun with the queue line
    assert other.places == [1]
    assert other.lines[-1] == {"error": 'model "llama3.1:8b" not found, try pulling it first'}


@pytest.mark.parametrize("service_options", [["--JelaiService.student_tokens_per_day=10"]])
async def test_the_tokens_of_an_unstreamed_reply_count_too(
    service: Service, fake: FakeOllama
) -> None:
    question = {"role": "user", "content": "Explain loops"}
    body = {"model": "llama3.1:8b", "messages": [question], "stream": False}
    request = HTTPRequest(
        service.url("ollama/api/chat"),
        method="POST",
        body=json.dumps(body),
        headers={"Authorization": "token ana"},
        request_timeout=GUARD,
    )
    answer = json.loads((await AsyncHTTPClient().fetch(request)).body)
    assert answer["prompt_eval_count"] + answer["eval_count"] > 10
    refused = Asking(service, "ana", "and now?")
    assert (await refused.done).code == 429
    assert json.loads(refused.raw)["reason"] == "tokens_per_day"


def two_model_groups(fake: FakeOllama, folder: Path) -> list[str]:
    """Two upstreams (one fake, reached by two names), one model each, one slot each."""
    port = fake.url.rsplit(":", 1)[1]
    upstreams = [
        {"url": f"http://127.0.0.1:{port}", "models": ["llama3.1:8b"], "max_concurrent": 1},
        {"url": f"http://localhost:{port}", "models": ["qwen2.5:0.5b"], "max_concurrent": 1},
    ]
    config = folder / "jelai_service_config.py"
    config.write_text(f"c.JelaiTutor.upstreams = {upstreams!r}\n")
    return [f"--config={config}"]


async def test_a_question_for_one_model_never_waits_behind_another_models_full_group(
    start_service: Any, fake: FakeOllama, tmp_path: Path
) -> None:
    # The course default would allow 4 at once; each group's max_concurrent is 1.
    service = await start_service(
        [*two_model_groups(fake, tmp_path), "--JelaiService.max_concurrent_generations=4"]
    )
    fake.configure(hold_after=1)
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    second = Asking(service, "bob", "bob 1")  # llama's one slot is taken
    await second.until(lambda asking: asking.places == [1])
    small = Asking(service, "cid", "cid 1", model="qwen2.5:0.5b")
    await small.until(lambda asking: any("message" in line for line in asking.lines))
    assert small.places == []  # answered at once, beside llama's full group
    assert chats(fake) == ["ana 1", "cid 1"]
    fake.release()
    assert [(await a.done).code for a in (first, second, small)] == [200, 200, 200]
    [queued] = await service.events("bob", "tutor.queued")
    # The line is named by its upstream's place in the list, never by its URL.
    assert queued["data"]["upstream"] == "1"
    assert queued["data"]["cause"] == "busy"


ONE_EACH = [
    "--JelaiService.max_concurrent_generations=4",
    "--JelaiService.max_generations_per_student=1",
]


@pytest.mark.parametrize("service_options", [ONE_EACH])
async def test_one_student_holds_one_generation_while_the_others_are_served(
    service: Service, fake: FakeOllama
) -> None:
    fake.configure(hold_after=1)
    first = Asking(service, "ana", "ana 1")
    await first.until(lambda asking: asking.lines)
    again = Asking(service, "ana", "ana 2")  # a script with ana's token asks again
    await again.until(lambda asking: asking.places == [1])
    other = Asking(service, "bob", "bob 1")
    await other.until(lambda asking: any("message" in line for line in asking.lines))
    assert other.places == [] and chats(fake) == ["ana 1", "bob 1"]
    fake.release()
    assert [(await a.done).code for a in (first, again, other)] == [200, 200, 200]
    assert chats(fake) == ["ana 1", "bob 1", "ana 2"]
    [queued] = await service.events("ana", "tutor.queued")
    assert (queued["data"]["cause"], queued["data"]["outcome"]) == ("own_limit", "served")


SOLUTION = """def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[middle - 1] + ordered[middle]) / 2
    return ordered[middle]
"""
LEAKY = "Here it is:\n\n```python\n" + SOLUTION.replace("ordered", "ranked") + "```\n\nDone."


@pytest.mark.parametrize("notebook", ["renamed-copy.ipynb", None])
async def test_a_notebook_matching_no_assignment_is_still_held_to_every_reference(
    start_service: Any, fake: FakeOllama, tmp_path: Path, notebook: str | None
) -> None:
    course = tmp_path / "course"
    (course / "week1").mkdir(parents=True)
    (course / "week1" / "TUTOR.md").write_text("Secret instructions.")
    (course / "week2").mkdir()
    (course / "week2" / "solution.py").write_text(SOLUTION)
    service = await start_service([f"--JelaiService.course_dir={course}"])
    fake.configure(reply=LEAKY)
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "the answer?"}]}
    headers = {"Authorization": "token ana"}
    if notebook is not None:
        headers["X-Jelai-Notebook"] = notebook
    request = HTTPRequest(
        service.url("ollama/api/chat"),
        method="POST",
        body=json.dumps(body),
        headers=headers,
        request_timeout=GUARD,
    )
    raw = (await AsyncHTTPClient().fetch(request)).body
    assert b"ranked" not in raw and b"sorted" not in raw
    # Matching no assignment, the hidden instructions do not apply.
    system = fake.received("/api/chat")[0].body["messages"][0]["content"]
    assert "Secret instructions" not in system


async def test_the_instructions_a_student_reads_tell_that_hidden_ones_apply_never_their_size(
    start_service: Any, fake: FakeOllama, tmp_path: Path
) -> None:
    course = tmp_path / "course"
    for name, repeat in (("short", 1), ("long", 200)):
        (course / name).mkdir(parents=True)
        (course / name / "TUTOR.md").write_text("Do not mention recursion. " * repeat)
        (course / name / "solution.py").write_text(SOLUTION * repeat)
    service = await start_service([f"--JelaiService.course_dir={course}"])
    answers = {}
    for name in ("short", "long"):
        request = HTTPRequest(
            service.url(f"tutor/instructions?notebook={name}/lab.ipynb"),
            headers={"Authorization": "token ana"},
        )
        raw = (await AsyncHTTPClient().fetch(request)).body
        assert b"recursion" not in raw and b"sorted" not in raw
        answers[name] = json.loads(raw)
        assert answers[name]["hidden_instructions"] is True
        assert answers[name].pop("hidden_assignment") == name
    assert answers["short"] == answers["long"]  # same settings, same counts
