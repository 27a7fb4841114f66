"""The tutor's requests through a Jupyter server to several model servers,
OpenAI-compatible ones among them, as the browser's `ollama` client sees them."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler
from traitlets.config import Config

from jelai.config import JelaiTutor
from jelai.gateway.upstreams import Upstreams
from tests.fake_ollama import FakeOllama, reply_for, tokenize
from tests.ndjson import read_words, reply_text
from tests.real_model import DISCONNECTED, RealModelServer
from tests.test_proxy import (
    GUARD,
    NOTEBOOK,
    QUESTION,
    Fetch,
    chat,
    chat_body,
    exchanges,
    open_raw_chat,
    post,
    refused,
)

KEY = "sk-course-key"
REPLY = reply_for(QUESTION)


def prompt_tokens(openai: FakeOllama) -> int:
    """The prompt's tokens as the fake counts them: the gateway's system
    message and the question of the first chat request it received."""
    messages = openai.received("/v1/chat/completions")[0].body["messages"]
    return len(tokenize(" ".join(m["content"] for m in messages))) + 4


def start(loop: asyncio.AbstractEventLoop, server: Any) -> None:
    async def listen() -> None:
        server.listen()  # on the running loop, which serves it

    loop.run_until_complete(listen())


@pytest.fixture
def openai(jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[FakeOllama]:
    """An OpenAI-compatible model server (it answers only `/v1/`), asking for a key."""
    server = FakeOllama(apis=["openai"], api_key=KEY)
    start(jp_asyncio_loop, server)
    yield server
    jp_asyncio_loop.run_until_complete(server.stop())


@pytest.fixture
def second(jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[FakeOllama]:
    """Another OpenAI-compatible server, with the same models and key."""
    server = FakeOllama(apis=["openai"], api_key=KEY)
    start(jp_asyncio_loop, server)
    yield server
    jp_asyncio_loop.run_until_complete(server.stop())


class Loading(RequestHandler):
    """Answers as llama.cpp's server does while its model loads."""

    def initialize(self, asked: list[str]) -> None:
        self.asked = asked

    def prepare(self) -> None:
        self.asked.append(self.request.path)
        self.set_status(503)
        self.finish(
            {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}}
        )


@pytest.fixture
def loading(jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[tuple[str, list[str]]]:
    """A model server answering 503 to everything: its URL and the paths asked of it."""
    asked: list[str] = []
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(Application([(r"/.*", Loading, {"asked": asked})]))
    server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}", asked
    server.stop()


@pytest.fixture
def dead() -> str:
    """The URL of a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def upstream(server: FakeOllama | str, **fields: Any) -> dict[str, Any]:
    url = server if isinstance(server, str) else server.url
    return {"url": url, "api": "openai", "api_key": KEY, **fields}


@pytest.fixture
def jp_server_config(jp_server_config: Config, openai: FakeOllama) -> Config:
    tutor = jp_server_config.JelaiTutor
    tutor.upstreams = [upstream(openai)]
    tutor.upstream_backoff = 3600.0  # nothing taken out comes back during a test
    return jp_server_config


@pytest.fixture
def tutor(jp_serverapp: Any) -> JelaiTutor:
    """The live tutor settings; tests may change them between requests."""
    return jp_serverapp.web_app.settings["jelai"].tutor


@pytest.fixture
def pool(jp_serverapp: Any) -> Upstreams:
    return jp_serverapp.web_app.settings["jelai"].upstreams


async def until(condition: Any) -> None:
    """Waits for something the test cannot be told of (polled, never a fixed wait)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), GUARD)


async def test_a_reply_from_an_openai_server_streams_to_the_browser_as_ollama_lines(
    jp_fetch: Fetch, openai: FakeOllama
) -> None:
    openai.configure(hold_after=3)  # three tokens, then the model "thinks" until release()
    seen_while_held: list[bool] = []

    def on_line(line: dict[str, Any]) -> None:
        if not seen_while_held:
            record = openai.received("/v1/chat/completions")[0]
            seen_while_held.append(not record.ended.is_set())
            openai.release()

    response, lines = await asyncio.wait_for(chat(jp_fetch, on_line), GUARD)
    assert seen_while_held == [True]
    assert response.headers["Content-Type"] == "application/x-ndjson"
    *words, last = lines
    assert len(words) == len(tokenize(REPLY))
    for line in words:
        assert set(line) == {"model", "created_at", "message", "done"}
        assert line["model"] == "llama3.1:8b" and line["done"] is False
    assert reply_text(words) == REPLY
    assert last["done"] is True and last["done_reason"] == "stop"
    assert last["prompt_eval_count"] == prompt_tokens(openai)
    assert last["eval_count"] == len(tokenize(REPLY))
    assert last["total_duration"] > 0
    sent = openai.received("/v1/chat/completions")[0]
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    system, *asked = sent.body["messages"]
    assert system["role"] == "system"  # the gateway's instructions
    assert {**sent.body, "messages": asked} == {
        "model": "llama3.1:8b",
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.3,  # the instructor's model options
    }


async def test_the_exchange_is_recorded_with_the_servers_counts(
    jp_fetch: Fetch, openai: FakeOllama
) -> None:
    await chat(jp_fetch)
    [event] = await exchanges(jp_fetch)
    data = event["data"]
    assert data["status"] == "finished" and data["error"] is None
    assert data["reply"] == REPLY and "reasoning" not in data  # staff only
    assert data["prompt_eval_count"] == prompt_tokens(openai)
    assert data["eval_count"] == len(tokenize(REPLY))
    assert data["done_reason"] == "stop"


async def test_reasoning_and_the_length_limit_come_through(
    jp_fetch: Fetch, openai: FakeOllama, tutor: JelaiTutor, jp_serverapp: Any
) -> None:
    tutor.mode = "assistant"  # free help relays the reasoning (tutor mode keeps it back)
    store = jp_serverapp.web_app.settings["jelai"].store
    openai.configure(thinking="They never call the function.")
    _, lines = await chat(jp_fetch, options={"num_predict": 8})
    thinking = "".join(line["message"].get("thinking", "") for line in lines[:-1])
    assert thinking == "They never call the function."
    assert lines[-1]["done_reason"] == "length"
    assert openai.received("/v1/chat/completions")[0].body["max_tokens"] == 8
    [event] = store.query(user=None, notebook=NOTEBOOK, types=["chat.exchange"])
    assert event["data"]["reasoning"] == "They never call the function."
    [event] = await exchanges(jp_fetch)
    assert "reasoning" not in event["data"]  # staff only
    assert event["data"]["reply"] == "".join(tokenize(REPLY)[:3])  # 5 of the 8 were reasoning
    assert event["data"]["done_reason"] == "length" and event["data"]["eval_count"] == 8


async def test_an_unstreamed_chat_answers_one_ollama_object(jp_fetch: Fetch) -> None:
    response = await post(jp_fetch, "chat", chat_body(stream=False))
    assert response.headers["Content-Type"].startswith("application/json")
    reply = json.loads(response.body)
    assert reply["message"] == {"role": "assistant", "content": REPLY}
    assert reply["done"] is True and reply["eval_count"] == len(tokenize(REPLY))


async def test_the_servers_errors_reach_the_browser_in_ollamas_shape(
    jp_fetch: Fetch, openai: FakeOllama
) -> None:
    status, error = await refused(post(jp_fetch, "chat", chat_body(model="phi3:mini")))
    assert status == 404
    assert error["error"] == "The model `phi3:mini` does not exist or you do not have access to it."
    openai.configure(fail_after=4)
    _, lines = await chat(jp_fetch)
    assert [("error" in line) for line in lines] == [False] * 4 + [True]
    assert "unexpected EOF" in lines[-1]["error"]
    missing, failed = await exchanges(jp_fetch)
    assert missing["data"]["status"] == "failed" and "phi3:mini" in missing["data"]["error"]
    assert failed["data"]["status"] == "failed" and failed["data"]["error"] == lines[-1]["error"]
    tools = [{"type": "function", "function": {"name": "run", "parameters": {}}}]
    status, error = await refused(post(jp_fetch, "chat", chat_body(tools=tools)))
    assert status == 400 and error["field"] == "tools"
    assert len(openai.received("/v1/chat/completions")) == 2  # that one was not sent


async def test_a_dead_server_is_skipped_for_a_healthy_one(
    jp_fetch: Fetch, tutor: JelaiTutor, openai: FakeOllama, dead: str
) -> None:
    tutor.upstreams = [upstream(dead), upstream(openai)]
    for _ in range(3):
        _, lines = await chat(jp_fetch)
        assert lines[-1]["done"] is True and reply_text(lines) == REPLY
    assert len(openai.received("/v1/chat/completions")) == 3
    assert [e["data"]["status"] for e in await exchanges(jp_fetch)] == ["finished"] * 3


async def test_a_server_answering_5xx_is_taken_out_and_not_asked_again(
    jp_fetch: Fetch,
    tutor: JelaiTutor,
    openai: FakeOllama,
    loading: tuple[str, list[str]],
) -> None:
    url, asked = loading
    tutor.upstreams = [upstream(url), upstream(openai)]
    for _ in range(3):
        _, lines = await chat(jp_fetch)
        assert lines[-1]["done"] is True
    assert asked == ["/v1/chat/completions"]  # once, then left out
    assert len(openai.received("/v1/chat/completions")) == 3
    # With nothing else left, its own answer is what the student gets.
    tutor.upstreams = [upstream(url)]
    status, error = await refused(post(jp_fetch, "chat", chat_body()))
    assert status == 503 and error["error"] == "Loading model"


async def test_when_every_server_is_dead_the_error_names_each_by_its_label(
    jp_fetch: Fetch, tutor: JelaiTutor, dead: str
) -> None:
    with_key = dead.replace("http://", "http://jelai:Model-s3cret@")
    tutor.upstreams = [upstream(dead), {"url": with_key + "/ollama", "name": "gpu-b"}]
    status, error = await refused(post(jp_fetch, "chat", chat_body()))
    assert status == 502
    # Where the servers are (and the key in a URL) is nobody's business but the server's.
    assert error["error"] == "Model server 1 is not reachable. Model server gpu-b is not reachable."
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed"
    assert event["data"]["error"] == error["error"]


async def test_questions_are_spread_over_the_servers_of_the_model(
    jp_fetch: Fetch, tutor: JelaiTutor, openai: FakeOllama, second: FakeOllama
) -> None:
    tutor.upstreams = [upstream(openai), upstream(second)]
    for _ in range(4):
        await chat(jp_fetch)
    assert len(openai.requests) == len(second.requests) == 2
    # A question asked while one server is busy goes to the other.
    openai.configure(hold_after=2)
    second.configure(hold_after=2)
    first = asyncio.ensure_future(chat(jp_fetch))
    await until(lambda: len(openai.requests) + len(second.requests) == 5)
    busy = openai if len(openai.requests) == 3 else second
    free = second if busy is openai else openai
    other = asyncio.ensure_future(chat(jp_fetch))
    await until(lambda: len(free.requests) == 3)
    assert len(busy.requests) == 3
    openai.release()
    second.release()
    for done in await asyncio.wait_for(asyncio.gather(first, other), GUARD):
        assert done[1][-1]["done"] is True


async def test_a_server_at_its_limit_keeps_the_next_question_waiting(
    jp_fetch: Fetch, tutor: JelaiTutor, openai: FakeOllama, pool: Upstreams
) -> None:
    tutor.upstreams = [upstream(openai, max_concurrent=1)]
    openai.configure(hold_after=2)
    first = asyncio.ensure_future(chat(jp_fetch))
    await until(lambda: openai.requests and openai.requests[0].tokens_sent == 2)
    second = asyncio.ensure_future(chat(jp_fetch))
    await until(lambda: pool.waiting == 1)
    assert len(openai.requests) == 1
    openai.release()
    replies = await asyncio.wait_for(asyncio.gather(first, second), GUARD)
    assert [lines[-1]["done"] for _, lines in replies] == [True, True]
    assert len(openai.requests) == 2 and openai.requests[0].finished


async def test_a_browser_that_hangs_up_closes_the_servers_stream(
    jp_fetch: Fetch,
    tutor: JelaiTutor,
    openai: FakeOllama,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    http_server_port: tuple[socket.socket, int],
) -> None:
    tutor.upstreams = [upstream(openai, max_concurrent=1)]
    openai.configure(hold_after=3)
    reader, writer = await open_raw_chat(http_server_port[1], jp_base_url, jp_auth_header)
    await read_words(reader, 3, GUARD)
    writer.close()  # what the browser does when the student presses stop
    record = openai.received("/v1/chat/completions")[0]
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up and record.tokens_sent == 3
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "stopped"
    assert event["data"]["reply"] == "".join(tokenize(REPLY)[:3])
    # The stopped question gave its place back: the next one is answered.
    openai.configure(hold_after=None)
    _, lines = await asyncio.wait_for(chat(jp_fetch), GUARD)
    assert lines[-1]["done"] is True


async def test_the_model_list_merges_every_servers_models(
    jp_fetch: Fetch,
    tutor: JelaiTutor,
    fake: FakeOllama,
    openai: FakeOllama,
    dead: str,
) -> None:
    openai.configure(models=["mistral:7b", "llama3.1:8b", "phi3:mini"])
    tutor.upstreams = [
        # Ollama, with llama3.1:8b and qwen2.5:0.5b: an upstream that names no
        # models is asked for any, so its models are named here.
        {"url": fake.url, "models": ["llama3.1:8b", "qwen2.5:0.5b"]},
        upstream(openai, models=["mistral:7b", "llama3.1:8b"]),
        upstream(dead),
    ]
    tags = json.loads((await jp_fetch("jelai", "ollama", "api", "tags")).body)
    assert [m["name"] for m in tags["models"]] == ["llama3.1:8b", "qwen2.5:0.5b", "mistral:7b"]
    tutor.models = ["mistral:7b", "qwen2.5:0.5b"]
    tags = json.loads((await jp_fetch("jelai", "ollama", "api", "tags")).body)
    assert [m["name"] for m in tags["models"]] == ["qwen2.5:0.5b", "mistral:7b"]
    # A question for mistral goes to the only server that has it.
    _, lines = await chat(jp_fetch, model="mistral:7b")
    assert lines[-1]["done"] is True
    assert openai.received("/v1/chat/completions")[0].body["model"] == "mistral:7b"
    assert fake.received("/api/chat") == []


async def test_a_model_no_server_serves_is_a_404_and_ollamas_other_endpoints_a_501(
    jp_fetch: Fetch, tutor: JelaiTutor, openai: FakeOllama
) -> None:
    tutor.upstreams = [upstream(openai, models=["qwen2.5:0.5b"])]
    status, error = await refused(post(jp_fetch, "chat", chat_body()))
    assert status == 404 and "llama3.1:8b" in error["error"]
    status, error = await refused(jp_fetch("jelai", "ollama", "api", "version"))
    assert status == 501 and "OpenAI API" in error["error"]
    assert openai.requests == []
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed"


async def test_a_real_openai_compatible_server_streams_through_and_stops(
    jp_fetch: Fetch,
    tutor: JelaiTutor,
    real_model: RealModelServer,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    http_server_port: tuple[socket.socket, int],
) -> None:
    """llama.cpp's server with SmolLM2 behind the gateway: a reply in several lines
    cut at num_predict, then a stopped one ends the generation on the server."""
    tutor.upstreams = [{"url": real_model.base_url, "api": "openai"}]
    tutor.default_model = real_model.model
    tutor.model_options = {"temperature": 0}
    response, lines = await asyncio.wait_for(
        chat(jp_fetch, model=real_model.model, options={"num_predict": 12}), 2 * GUARD
    )
    assert response.headers["Content-Type"] == "application/x-ndjson"
    *words, last = lines
    assert len(words) >= 5 and all(line["done"] is False for line in words)
    assert last["done"] is True and last["done_reason"] == "length"
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "finished" and event["data"]["reply"] == reply_text(words)

    before = len(real_model.log())
    tutor.default_model = real_model.model
    reader, writer = await open_raw_chat(http_server_port[1], jp_base_url, jp_auth_header)
    await read_words(reader, 3, 2 * GUARD)
    writer.close()
    await asyncio.get_running_loop().run_in_executor(
        None, real_model.wait_for_log, DISCONNECTED, 2 * GUARD, before
    )
