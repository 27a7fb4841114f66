"""The model server proxy as the tutor panel uses it, against the fake Ollama."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse
from traitlets.config import Config

from jelai.config import JelaiTutor
from jelai.gateway.proxy import filter_models, model_allowed, rewrite_body
from jelai.store import EventStore
from tests.fake_ollama import FakeOllama, reply_for, tokenize
from tests.log_records import Records
from tests.ndjson import NdjsonStream, open_chat, post_chat, read_words, reply_text

Fetch = Callable[..., Any]
ALLOWED = ["llama3.1:8b", "qwen2.5:0.5b", "phi3:mini"]  # phi3 is allowed but not pulled
NOTEBOOK = "week 1/lab é.ipynb"
QUESTION = "Why does my loop never stop?"
GUARD = 15  # seconds; only keeps a broken proxy from hanging the suite


@pytest.fixture
def fake_models() -> list[str]:
    return ["llama3.1:8b", "qwen2.5:0.5b", "mistral:7b"]


@pytest.fixture
def jp_server_config(jp_server_config: Config, fake: FakeOllama) -> Config:
    tutor = jp_server_config.JelaiTutor
    tutor.ollama_url = fake.url
    tutor.models = ALLOWED
    tutor.headers = {"Authorization": "Bearer model-server-key"}
    tutor.max_request_bytes = 20_000
    return jp_server_config


@pytest.fixture
def tutor(jp_serverapp: Any) -> JelaiTutor:
    """The live tutor settings; tests may change them between requests."""
    return jp_serverapp.web_app.settings["jelai"].tutor


@pytest.fixture
def store(jp_serverapp: Any) -> EventStore:
    """The record as staff read it."""
    return jp_serverapp.web_app.settings["jelai"].store


def chat_body(**fields: Any) -> str:
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": QUESTION}]}
    return json.dumps({**body, **fields})


def conversation(notebook: str = NOTEBOOK) -> dict[str, str]:
    return {"X-Jelai-Notebook": quote(notebook, safe=""), "X-Jelai-Session": "page-7"}


async def chat(
    jp_fetch: Fetch, on_line: Callable[[dict], None] | None = None, **fields: Any
) -> tuple[HTTPResponse, list[dict[str, Any]]]:
    """Posts a chat request and returns the response and its NDJSON lines."""
    reply = NdjsonStream(on_line)
    response = await post_chat(jp_fetch, chat_body(**fields), conversation(), reply)
    return response, reply.lines


async def refused(request: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await request
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)


async def exchanges(jp_fetch: Fetch, notebook: str = NOTEBOOK) -> list[dict[str, Any]]:
    params = {"notebook": notebook, "type": "chat.exchange"}
    response = await jp_fetch("jelai", "events", params=params)
    return json.loads(response.body)["events"]


def post(jp_fetch: Fetch, endpoint: str, body: Any, **kwargs: Any) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    kwargs.setdefault("headers", conversation())
    return jp_fetch("jelai", "ollama", "api", endpoint, method="POST", body=text, **kwargs)


async def test_first_line_reaches_the_browser_while_the_model_is_still_writing(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    fake.configure(hold_after=3)  # the fake sends 3 tokens, then waits for release()
    seen_while_held: list[bool] = []

    def on_line(line: dict[str, Any]) -> None:
        if not seen_while_held:
            record = fake.received("/api/chat")[0]
            seen_while_held.append(not record.ended.is_set() and record.tokens_sent <= 3)
            fake.release()

    response, lines = await asyncio.wait_for(chat(jp_fetch, on_line), GUARD)
    assert seen_while_held == [True]
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert reply_text(lines) == reply_for(QUESTION)
    assert lines[-1]["done"] is True and lines[-1]["done_reason"] == "stop"
    assert lines[-1]["eval_count"] == len(tokenize(reply_for(QUESTION)))


async def test_the_request_sent_upstream_is_the_checked_one(
    jp_fetch: Fetch, fake: FakeOllama, jp_auth_header: dict[str, str]
) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "options": {"temperature": 0.9}}
    await post(jp_fetch, "chat", body)
    sent = fake.received("/api/chat")[0]
    assert sent.body["model"] == "llama3.1:8b"  # the default model filled in
    assert sent.body["options"] == {"temperature": 0.9, "num_ctx": 8192}
    assert sent.headers["Authorization"] == "Bearer model-server-key"
    assert jp_auth_header["Authorization"] not in json.dumps(sent.headers)
    assert "Cookie" not in sent.headers


async def test_unstreamed_chat_answers_one_json_object(jp_fetch: Fetch) -> None:
    response = await post(jp_fetch, "chat", chat_body(stream=False))
    assert response.headers["Content-Type"].startswith("application/json")
    reply = json.loads(response.body)
    assert reply["message"]["content"] == reply_for(QUESTION) and reply["done"] is True
    [stored] = await exchanges(jp_fetch)
    assert stored["data"]["status"] == "finished"
    assert stored["data"]["reply"] == reply_for(QUESTION)


async def test_the_exchange_is_stored_with_timings_and_token_counts(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    _, lines = await chat(jp_fetch)
    [event] = await exchanges(jp_fetch)
    data = event["data"]
    assert event["type"] == "chat.exchange"
    assert event["notebook"] == NOTEBOOK and event["session"] == "page-7"
    assert data["status"] == "finished" and data["error"] is None
    assert data["model"] == "llama3.1:8b"
    assert data["messages"] == [{"role": "user", "content": QUESTION}]
    assert data["options"] == {"temperature": 0.3, "num_ctx": 8192}
    assert data["reply"] == reply_for(QUESTION)
    assert 0 <= data["ttft_ms"] <= data["total_ms"]
    assert data["prompt_eval_count"] == lines[-1]["prompt_eval_count"]
    assert data["eval_count"] == lines[-1]["eval_count"] == len(tokenize(reply_for(QUESTION)))
    assert data["done_reason"] == "stop"


async def test_a_mid_stream_error_line_is_forwarded_and_recorded(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    fake.configure(fail_after=4)
    response, lines = await chat(jp_fetch)
    assert response.code == 200
    assert [("error" in line) for line in lines] == [False] * 4 + [True]
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed"
    assert event["data"]["error"] == lines[-1]["error"]
    assert event["data"]["reply"] == "".join(tokenize(reply_for(QUESTION))[:4])


@pytest.mark.parametrize(
    "settings, reply, reasoning",
    [
        pytest.param(
            {"reply": "<think>They forgot\nto run cell 1.</think>\n\nWhich cell defines x?"},
            "Which cell defines x?",
            "They forgot\nto run cell 1.",
            id="inline think block",
        ),
        pytest.param(
            {"reply": "Run cell 1 first? </think>Which cell defines x?"},
            "Which cell defines x?",
            "Run cell 1 first?",
            id="block opened by the chat template",
        ),
        pytest.param(
            {"thinking": "They forgot cell 1.", "reply": "Which cell defines x?"},
            "Which cell defines x?",
            "They forgot cell 1.",
            id="thinking field",
        ),
        pytest.param(
            {"reply": "Which cell defines x?"}, "Which cell defines x?", None, id="no reasoning"
        ),
    ],
)
@pytest.mark.parametrize("mode", ["tutor", "assistant"])
async def test_the_record_keeps_the_answer_and_the_reasoning_apart(
    jp_fetch: Fetch,
    fake: FakeOllama,
    tutor: JelaiTutor,
    store: EventStore,
    settings: dict[str, str],
    reply: str,
    reasoning: str | None,
    mode: str,
) -> None:
    tutor.mode = mode
    fake.configure(**settings)
    _, lines = await chat(jp_fetch)
    assert lines[-1]["done"] is True
    sent = "".join(line["message"].get("content", "") for line in lines)
    thought = "".join(line["message"].get("thinking", "") for line in lines)
    if mode == "tutor" and "<think>" not in settings["reply"] and "</think>" in settings["reply"]:
        # A block the chat template opened: what came before its closing tag had
        # gone out when the tag came; the tag and the rest did not.
        assert sent.endswith(reply) and "</think>" not in sent and thought == ""
    elif mode == "tutor":
        # No reasoning reaches the browser: a thinking model restates its instructions.
        assert (sent, thought) == (reply, "")
    else:
        # Free help: the browser gets the lines as the model server sent them.
        assert sent == settings["reply"] and thought == settings.get("thinking", "")
    [event] = await exchanges(jp_fetch)
    assert event["data"]["reply"] == reply
    assert "reasoning" not in event["data"]  # staff only
    assert event["data"]["status"] == "finished"
    [kept] = store.query(user=None, notebook=NOTEBOOK, types=["chat.exchange"])
    assert kept["data"]["reasoning"] == reasoning


async def test_a_reply_cut_by_the_length_limit_is_recorded_as_cut(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    _, lines = await chat(jp_fetch, options={"num_predict": 6})
    assert lines[-1]["done_reason"] == "length"
    [event] = await exchanges(jp_fetch)
    data = event["data"]
    assert data["done_reason"] == "length" and data["status"] == "finished"
    assert data["reply"] == "".join(tokenize(reply_for(QUESTION))[:6])
    assert data["eval_count"] == 6


async def test_a_reply_cut_inside_its_reasoning_records_no_answer(
    jp_fetch: Fetch, fake: FakeOllama, store: EventStore
) -> None:
    fake.configure(reply="<think>First I will explain the whole idea in detail</think>Short.")
    await chat(jp_fetch, options={"num_predict": 4})
    [event] = store.query(user=None, notebook=NOTEBOOK, types=["chat.exchange"])
    assert event["data"]["reply"] == ""
    assert event["data"]["reasoning"] == "First I will explain"
    assert event["data"]["done_reason"] == "length"


@pytest.mark.parametrize(
    "method, endpoint",
    [
        ("POST", "pull"),
        ("POST", "push"),
        ("POST", "create"),
        ("POST", "copy"),
        ("DELETE", "delete"),
        ("POST", "blobs/sha256:0123abcd"),
        ("POST", "embed"),
    ],
)
async def test_endpoints_that_change_the_model_server_are_refused(
    jp_fetch: Fetch, fake: FakeOllama, method: str, endpoint: str
) -> None:
    body = json.dumps({"model": "llama3.1:8b"}) if method == "POST" else None
    request = jp_fetch(
        "jelai",
        "ollama",
        "api",
        *endpoint.split("/"),
        method=method,
        body=body,
        allow_nonstandard_methods=True,
    )
    status, error = await refused(request)
    assert status == 403
    assert f"/api/{endpoint}" in error["error"]
    assert fake.requests == []


async def test_a_wrong_method_is_refused(jp_fetch: Fetch, fake: FakeOllama) -> None:
    status, error = await refused(jp_fetch("jelai", "ollama", "api", "chat"))
    assert status == 405 and "POST" in error["error"]
    assert fake.requests == []


async def test_models_outside_the_allowlist_are_refused(jp_fetch: Fetch, fake: FakeOllama) -> None:
    status, error = await refused(post(jp_fetch, "chat", chat_body(model="mistral:7b")))
    assert status == 403 and error["field"] == "model"
    assert "mistral:7b" in error["error"]
    assert all(model in error["error"] for model in ALLOWED)
    assert fake.requests == []


async def test_an_allowed_model_the_server_lacks_gets_ollamas_404(jp_fetch: Fetch) -> None:
    status, error = await refused(post(jp_fetch, "chat", chat_body(model="phi3:mini")))
    assert status == 404
    assert error == {"error": 'model "phi3:mini" not found, try pulling it first'}
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed" and "phi3:mini" in event["data"]["error"]


async def test_the_model_list_only_shows_allowed_models(jp_fetch: Fetch) -> None:
    await post(jp_fetch, "chat", chat_body(stream=False))
    await post(jp_fetch, "chat", chat_body(model="mistral:7b", stream=False), raise_error=False)
    tags = json.loads((await jp_fetch("jelai", "ollama", "api", "tags")).body)
    assert [m["name"] for m in tags["models"]] == ["llama3.1:8b", "qwen2.5:0.5b"]


async def test_the_version_passes_through(jp_fetch: Fetch) -> None:
    version = json.loads((await jp_fetch("jelai", "ollama", "api", "version")).body)
    assert isinstance(version["version"], str)


@pytest.mark.parametrize(
    ("method", "endpoint"),
    [("POST", "generate"), ("GET", "ps"), ("POST", "show"), ("POST", "embeddings")],
)
async def test_endpoints_the_tutor_does_not_use_are_refused(
    jp_fetch: Fetch, fake: FakeOllama, method: str, endpoint: str
) -> None:
    body = json.dumps({"model": "llama3.1:8b", "prompt": "hi"}) if method == "POST" else None
    request = jp_fetch("jelai", "ollama", "api", endpoint, method=method, body=body)
    status, error = await refused(request)
    assert status == 403
    assert error["error"] == (
        f"/api/{endpoint} is refused: the tutor uses only /api/chat, /api/tags, "
        "/api/version through jelai."
    )
    assert fake.requests == []


async def test_an_unreachable_model_server_is_a_502_that_does_not_say_where_it_is(
    jp_fetch: Fetch, jp_serverapp: Any, tutor: JelaiTutor
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    # Credentials written into the URL are shown nowhere.
    tutor.ollama_url = f"http://jelai:Model-s3cret@127.0.0.1:{port}"
    kept = Records()
    jp_serverapp.log.addHandler(kept)
    try:
        status, error = await refused(post(jp_fetch, "chat", chat_body()))
    finally:
        jp_serverapp.log.removeHandler(kept)
    assert (status, error["error"]) == (502, "The model server is not reachable.")
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed" and event["data"]["reply"] == ""
    assert str(port) not in json.dumps(event)
    # The server's log says where it is, for whoever runs it; still no credentials.
    logged = [r.getMessage() for r in kept.records]
    assert f"jelai: The model server at http://127.0.0.1:{port} is not reachable" in "\n".join(
        logged
    )
    assert not [m for m in logged if "s3cret" in m]


async def test_a_silent_model_server_is_abandoned_with_a_clear_error(
    jp_fetch: Fetch, fake: FakeOllama, tutor: JelaiTutor
) -> None:
    tutor.read_timeout = 0.3
    fake.configure(hold_after=0)  # never answers
    status, error = await asyncio.wait_for(refused(post(jp_fetch, "chat", chat_body())), GUARD)
    assert status == 504 and "sent nothing for 0.3 s" in error["error"]
    record = fake.received("/api/chat")[0]
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up


async def test_a_model_server_going_quiet_mid_stream_ends_with_an_error_line(
    jp_fetch: Fetch, fake: FakeOllama, tutor: JelaiTutor
) -> None:
    tutor.read_timeout = 0.3
    fake.configure(hold_after=2)
    _, lines = await asyncio.wait_for(chat(jp_fetch), GUARD)
    assert len(lines) == 3 and "sent nothing" in lines[-1]["error"]
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed"


async def test_question_after_question_goes_over_one_kept_connection(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    for _ in range(3):
        _, lines = await chat(jp_fetch)
        assert lines[-1]["done"] is True
    await jp_fetch("jelai", "ollama", "api", "tags")
    ports = [record.client_port for record in fake.requests]
    assert len(ports) == 4 and len(set(ports)) == 1


async def test_a_kept_connection_the_model_server_drops_is_replaced_unseen(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    await chat(jp_fetch)
    fake.configure(hang_up=1)  # closes the kept connection as the next question arrives
    response, lines = await chat(jp_fetch)
    assert response.code == 200 and lines[-1]["done"] is True
    first, dropped, answered = fake.received("/api/chat")
    assert dropped.client_port == first.client_port != answered.client_port
    assert [e["data"]["status"] for e in await exchanges(jp_fetch)] == ["finished", "finished"]


async def test_a_new_connection_closed_unanswered_is_not_sent_again(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    fake.configure(hang_up=1)
    status, error = await refused(post(jp_fetch, "chat", chat_body()))
    assert status == 502 and "closed the connection unanswered" in error["error"]
    assert len(fake.received("/api/chat")) == 1


async def open_raw_chat(
    port: int, base_url: str, auth: dict[str, str]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The question on a bare socket, so the test decides when the browser hangs up."""
    return await open_chat(port, base_url, {**auth, **conversation()}, chat_body().encode())


async def test_a_browser_that_hangs_up_stops_the_model_and_the_exchange_is_kept(
    jp_fetch: Fetch,
    fake: FakeOllama,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    http_server_port: tuple[socket.socket, int],
) -> None:
    fake.configure(hold_after=3)
    reader, writer = await open_raw_chat(http_server_port[1], jp_base_url, jp_auth_header)
    await read_words(reader, 3, GUARD)  # the three tokens before the hold
    writer.close()  # what the browser does when the student presses stop
    record = fake.received("/api/chat")[0]
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up and record.tokens_sent == 3
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "stopped"
    assert event["data"]["reply"] == "".join(tokenize(reply_for(QUESTION))[:3])
    assert event["data"]["eval_count"] is None
    # The stopped request's connection is closed, never kept for the next one.
    fake.configure(hold_after=None)
    await chat(jp_fetch)
    assert fake.received("/api/chat")[1].client_port != record.client_port


async def test_hanging_up_before_the_first_token_also_stops_the_model(
    jp_fetch: Fetch,
    fake: FakeOllama,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    http_server_port: tuple[socket.socket, int],
) -> None:
    fake.configure(hold_after=0)  # still "loading the model"
    _, writer = await open_raw_chat(http_server_port[1], jp_base_url, jp_auth_header)

    async def arrived() -> None:
        while not fake.received("/api/chat"):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(arrived(), GUARD)
    writer.close()
    record = fake.received("/api/chat")[0]
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up and record.tokens_sent == 0
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "stopped"
    assert event["data"]["reply"] == "" and event["data"]["ttft_ms"] is None


async def test_bad_bodies_are_refused(jp_fetch: Fetch, fake: FakeOllama) -> None:
    status, error = await refused(post(jp_fetch, "chat", "{not json"))
    assert status == 400 and "not valid JSON" in error["error"]
    status, error = await refused(post(jp_fetch, "chat", "[1, 2]"))
    assert status == 400 and "JSON object" in error["error"]
    status, error = await refused(post(jp_fetch, "chat", chat_body(options="hot")))
    assert status == 400 and error["field"] == "options"
    status, error = await refused(post(jp_fetch, "chat", chat_body(padding="x" * 30_000)))
    assert status == 413
    assert fake.requests == []


async def test_the_proxy_requires_authentication(jp_fetch: Fetch, fake: FakeOllama) -> None:
    wrong = {"Authorization": "token not-the-token"}
    status, _ = await refused(jp_fetch("jelai", "ollama", "api", "tags", headers=wrong))
    assert status == 403
    status, _ = await refused(post(jp_fetch, "chat", chat_body(), headers=wrong))
    assert status == 403
    assert fake.requests == []


def test_model_names_follow_ollamas_latest_rule() -> None:
    assert model_allowed(["llama3.1"], "llama3.1:latest")
    assert model_allowed(["llama3.1:latest"], "llama3.1")
    assert not model_allowed(["llama3.1:8b"], "llama3.1")
    assert model_allowed([], "anything:at-all")  # an empty allowlist allows every model


def test_the_instructors_options_sit_under_the_requests_own() -> None:
    cfg = JelaiTutor(default_model="qwen2.5:0.5b", model_options={"temperature": 0.1, "seed": 7})
    body = rewrite_body(cfg, "chat", {"messages": [], "options": {"temperature": 1.0}})
    assert body == {
        "messages": [],
        "model": "qwen2.5:0.5b",
        "options": {"temperature": 1.0, "seed": 7, "num_ctx": 8192},
    }


def test_only_model_listings_are_filtered() -> None:
    listing = json.dumps({"models": [{"name": "a:1b"}, {"name": "b:1b"}]}).encode()
    assert json.loads(filter_models(["b:1b"], listing)) == {"models": [{"name": "b:1b"}]}
    assert filter_models(["b:1b"], b'{"error": "busy"}') == b'{"error": "busy"}'
