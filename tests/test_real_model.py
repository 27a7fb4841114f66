"""The real model server answers as the tests of jelai's gateway will need it to.

These check the test infrastructure itself (tests/real_model.py): llama.cpp's
server with SmolLM2, as an OpenAI-compatible upstream, streams a reply in
several chunks, cuts it at `max_tokens` with `finish_reason: "length"`, and
ends a generation when its client hangs up.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

from tests.real_model import DISCONNECTED, RealModelServer
from tests.sse import sse_chunks

GUARD = 60.0  # seconds; only keeps a stuck server from hanging the suite


def chat(server: RealModelServer, question: str, **fields: Any) -> dict[str, Any]:
    return {
        "model": server.model,
        "messages": [
            {"role": "system", "content": "You are a patient programming tutor."},
            {"role": "user", "content": question},
        ],
        "temperature": 0,
        **fields,
    }


def post(server: RealModelServer, body: dict[str, Any]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=GUARD)
    connection.request(
        "POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"}
    )
    return connection.getresponse()


def content(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def finish_reasons(chunks: list[dict[str, Any]]) -> list[str]:
    return [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]


def test_the_model_is_listed(real_model: RealModelServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", real_model.port, timeout=GUARD)
    connection.request("GET", "/v1/models")
    listing = json.load(connection.getresponse())
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == [real_model.model]


def test_a_question_streams_back_in_several_chunks(real_model: RealModelServer) -> None:
    body = chat(
        real_model,
        "How do I average a list in Python?",
        max_tokens=60,
        stream=True,
        stream_options={"include_usage": True},
    )
    with post(real_model, body) as answer:
        assert answer.status == 200
        assert answer.getheader("Content-Type", "").startswith("text/event-stream")
        chunks, done = sse_chunks(answer.read())
    assert done
    assert len(chunks) >= 10
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert len(content(chunks).split()) >= 5
    reasons = finish_reasons(chunks)
    assert reasons[:-1] == [None] * (len(reasons) - 1) and reasons[-1] in ("stop", "length")
    # This server does not answer `include_usage`: a streamed reply carries no
    # token counts (tests/recorded/README.md), so a gateway cannot rely on them.
    assert not any(c.get("usage") for c in chunks)


def test_a_reply_that_is_not_streamed_reports_its_token_counts(
    real_model: RealModelServer,
) -> None:
    with post(real_model, chat(real_model, "Say hello.", max_tokens=20)) as answer:
        reply = json.load(answer)
    usage = reply["usage"]
    assert usage["prompt_tokens"] > 10 and 0 < usage["completion_tokens"] <= 20
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert reply["choices"][0]["message"]["role"] == "assistant"


def test_a_tiny_max_tokens_cuts_the_reply_with_finish_reason_length(
    real_model: RealModelServer,
) -> None:
    question = "Explain Python lists in detail."
    with post(real_model, chat(real_model, question, max_tokens=3, stream=True)) as answer:
        chunks, done = sse_chunks(answer.read())
    assert done and finish_reasons(chunks)[-1] == "length"
    assert 1 <= len([c for c in chunks if c["choices"][0]["delta"].get("content")]) <= 3
    with post(real_model, chat(real_model, question, max_tokens=3)) as answer:
        reply = json.load(answer)
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


def test_a_client_that_hangs_up_ends_the_generation_on_the_server(
    real_model: RealModelServer,
) -> None:
    before = len(real_model.log())
    # min_tokens keeps the model from ending on its own: 1000 tokens is many seconds.
    body = chat(real_model, "Tell me a story.", max_tokens=1000, min_tokens=1000, stream=True)
    encoded = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", real_model.port), timeout=GUARD) as client:
        port = client.getsockname()[1]
        client.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(encoded), encoded)
        )
        received = b""
        while received.count(b"data: ") < 5:
            more = client.recv(65536)
            assert more, received
            received += more
    real_model.wait_for_log(f"{DISCONNECTED} Address(host='127.0.0.1', port={port})", GUARD, before)
    # One generation at a time: the next request is answered once the stopped
    # one has ended, and only the next one runs to its end.
    with post(real_model, chat(real_model, "Say hello.", max_tokens=5)) as answer:
        assert json.load(answer)["choices"][0]["finish_reason"] == "length"
    real_model.wait_for_log("eval time", GUARD, before)
    assert real_model.completed_generations(before) == 1
