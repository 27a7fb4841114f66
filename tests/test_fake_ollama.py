"""The fake Ollama answers with the fields Ollama documents (docs/api.md)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from tests.fake_ollama import FakeOllama, reply_for

CHUNK_FIELDS = {"model", "created_at", "message", "done"}
STATS = {
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
}
QUESTION = "How do I average a list?"
GUARD = 15  # seconds; only keeps a broken fake from hanging the suite


async def call(fake: FakeOllama, path: str, body: Any = None, **kwargs: Any) -> HTTPResponse:
    client = AsyncHTTPClient(force_instance=True)
    try:
        return await client.fetch(
            fake.url + path,
            method="GET" if body is None else "POST",
            body=None if body is None else json.dumps(body),
            raise_error=False,
            **kwargs,
        )
    finally:
        client.close()


def ndjson(response: HTTPResponse) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.body.splitlines()]


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "llama3.1:8b", "messages": [{"role": "user", "content": QUESTION}], **fields}


def is_time(value: str) -> bool:
    return isinstance(datetime.fromisoformat(value.replace("Z", "+00:00")), datetime)


async def test_chat_streams_ndjson_chunks_and_ends_with_the_statistics(fake: FakeOllama) -> None:
    response = await call(fake, "/api/chat", chat())
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/x-ndjson"
    *chunks, final = ndjson(response)
    assert len(chunks) >= 20
    for chunk in chunks:
        assert set(chunk) == CHUNK_FIELDS and chunk["done"] is False
        assert chunk["message"]["role"] == "assistant" and is_time(chunk["created_at"])
    reply = "".join(chunk["message"]["content"] for chunk in chunks)
    assert reply == reply_for(QUESTION)
    assert QUESTION in reply and "```python\n" in reply
    assert set(final) == CHUNK_FIELDS | STATS | {"done_reason"}
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    assert final["created_at"] >= chunks[-1]["created_at"] >= chunks[0]["created_at"]
    assert all(isinstance(final[name], int) and final[name] > 0 for name in STATS)
    assert final["eval_count"] == len(chunks)


async def test_chat_without_streaming_answers_one_object(fake: FakeOllama) -> None:
    response = await call(fake, "/api/chat", chat(stream=False))
    assert response.headers["Content-Type"].startswith("application/json")
    reply = json.loads(response.body)
    assert reply["message"] == {"role": "assistant", "content": reply_for(QUESTION)}
    assert reply["done"] is True and reply["done_reason"] == "stop"
    assert STATS <= set(reply)


async def test_generate_streams_response_pieces_and_a_context(fake: FakeOllama) -> None:
    response = await call(fake, "/api/generate", {"model": "qwen2.5:0.5b", "prompt": QUESTION})
    *chunks, final = ndjson(response)
    assert all(set(c) == {"model", "created_at", "response", "done"} for c in chunks)
    assert "".join(c["response"] for c in chunks) == reply_for(QUESTION)
    assert final["response"] == "" and final["done_reason"] == "stop"
    assert isinstance(final["context"], list) and STATS <= set(final)


async def test_empty_messages_only_load_the_model(fake: FakeOllama) -> None:
    [only] = ndjson(await call(fake, "/api/chat", chat(messages=[])))
    assert only["done"] is True and only["done_reason"] == "load"


async def test_empty_messages_with_keep_alive_zero_unload_the_model(fake: FakeOllama) -> None:
    await call(fake, "/api/chat", chat())
    [only] = ndjson(await call(fake, "/api/chat", chat(messages=[], keep_alive=0)))
    assert only["done"] is True and only["done_reason"] == "unload"
    assert json.loads((await call(fake, "/api/ps")).body)["models"] == []


async def test_num_predict_cuts_the_reply_with_done_reason_length(fake: FakeOllama) -> None:
    *chunks, final = ndjson(await call(fake, "/api/chat", chat(options={"num_predict": 5})))
    assert len(chunks) == 5 == final["eval_count"]
    assert final["done_reason"] == "length"
    assert reply_for(QUESTION).startswith("".join(c["message"]["content"] for c in chunks))


async def test_a_thinking_model_streams_its_reasoning_apart_first(fake: FakeOllama) -> None:
    fake.configure(thinking="The student wants a mean.", reply="What is a mean?")
    *chunks, final = ndjson(await call(fake, "/api/chat", chat()))
    thinking = [c["message"].get("thinking") for c in chunks]
    assert "".join(t for t in thinking if t) == "The student wants a mean."
    assert thinking.index(None) == 5  # all reasoning before any content
    assert all(c["message"]["content"] == "" for c in chunks if "thinking" in c["message"])
    assert "".join(c["message"]["content"] for c in chunks) == "What is a mean?"
    assert final["done_reason"] == "stop" and final["eval_count"] == len(chunks)
    # `think: false` turns it off; unstreamed, it is a field of the one message.
    *plain, _ = ndjson(await call(fake, "/api/chat", chat(think=False)))
    assert not any("thinking" in c["message"] for c in plain)
    whole = json.loads((await call(fake, "/api/chat", chat(stream=False))).body)
    assert whole["message"] == {
        "role": "assistant",
        "content": "What is a mean?",
        "thinking": "The student wants a mean.",
    }
    generate = {"model": "qwen2.5:0.5b", "prompt": "hi"}
    *pieces, _ = ndjson(await call(fake, "/api/generate", generate))
    assert "".join(p.get("thinking", "") for p in pieces) == "The student wants a mean."
    assert "".join(p["response"] for p in pieces) == "What is a mean?"


async def test_the_reply_and_its_done_reason_can_be_set(fake: FakeOllama) -> None:
    fake.configure(reply="<think>plan</think>Answer.", done_reason="")
    *chunks, final = ndjson(await call(fake, "/api/chat", chat()))
    assert "".join(c["message"]["content"] for c in chunks) == "<think>plan</think>Answer."
    assert final["done_reason"] == ""


async def test_model_errors_use_ollamas_error_body(fake: FakeOllama) -> None:
    missing = await call(fake, "/api/chat", chat(model="phi3:mini"))
    assert missing.code == 404
    assert json.loads(missing.body) == {
        "error": 'model "phi3:mini" not found, try pulling it first'
    }
    nameless = await call(fake, "/api/chat", {"messages": []})
    assert nameless.code == 400 and json.loads(nameless.body) == {"error": "model is required"}
    unknown = await call(fake, "/api/nothing", {})
    assert unknown.code == 404 and unknown.body == b"404 page not found"


async def test_tags_show_ps_and_version_have_the_documented_fields(fake: FakeOllama) -> None:
    tags = json.loads((await call(fake, "/api/tags")).body)["models"]
    assert [m["name"] for m in tags] == ["llama3.1:8b", "qwen2.5:0.5b"]
    for entry in tags:
        assert {"name", "model", "modified_at", "size", "digest", "details"} <= set(entry)
        assert {"format", "family", "parameter_size", "quantization_level"} <= set(entry["details"])
    shown = json.loads((await call(fake, "/api/show", {"model": "llama3.1:8b"})).body)
    assert {"modelfile", "parameters", "template", "details", "model_info"} <= set(shown)
    assert json.loads((await call(fake, "/api/ps")).body) == {"models": []}
    await call(fake, "/api/chat", chat(stream=False))
    [running] = json.loads((await call(fake, "/api/ps")).body)["models"]
    assert running["name"] == "llama3.1:8b" and {"expires_at", "size_vram"} <= set(running)
    assert isinstance(json.loads((await call(fake, "/api/version")).body)["version"], str)


async def test_a_token_delay_slows_the_reply(fake: FakeOllama) -> None:
    fake.configure(delay=0.01)
    *chunks, final = ndjson(await call(fake, "/api/chat", chat()))
    assert final["eval_duration"] >= len(chunks) * 0.01 * 1e9


async def test_fail_mode_ends_the_stream_with_an_error_line(fake: FakeOllama) -> None:
    fake.configure(fail_after=5)
    lines = ndjson(await call(fake, "/api/chat", chat()))
    assert [set(line) == {"error"} for line in lines] == [False] * 5 + [True]


async def test_requests_are_recorded_with_headers_and_body(fake: FakeOllama) -> None:
    await call(fake, "/api/chat", chat(), headers={"Authorization": "Bearer k"})
    [record] = fake.requests
    assert (record.method, record.path) == ("POST", "/api/chat")
    assert record.headers["Authorization"] == "Bearer k"
    assert record.body == chat()
    assert record.finished and not record.hung_up and record.ended.is_set()


async def test_a_held_stream_waits_and_a_hang_up_is_recorded(fake: FakeOllama) -> None:
    fake.configure(hold_after=2)
    body = json.dumps(chat()).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    writer.write(
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    received = b""
    while received.count(b'"done":false') < 2:
        received += await asyncio.wait_for(reader.read(4096), GUARD)
    [record] = fake.requests
    assert record.tokens_sent == 2 and not record.ended.is_set()
    writer.close()
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up and not record.finished


async def test_release_lets_held_streams_finish(fake: FakeOllama) -> None:
    fake.configure(hold_after=1)
    pending = asyncio.ensure_future(call(fake, "/api/chat", chat()))
    while not fake.requests or fake.requests[0].tokens_sent < 1:
        await asyncio.sleep(0.01)
    fake.release()
    lines = ndjson(await asyncio.wait_for(pending, GUARD))
    assert lines[-1]["done"] is True


async def test_control_endpoints_for_tests_in_another_process(fake: FakeOllama) -> None:
    changed = await call(fake, "/_fake/config", {"fail_after": 1, "models": ["tiny:1b"]})
    assert json.loads(changed.body)["settings"]["fail_after"] == 1
    assert (await call(fake, "/api/chat", chat())).code == 404
    lines = ndjson(await call(fake, "/api/chat", chat(model="tiny:1b")))
    assert "error" in lines[-1]
    recorded = json.loads((await call(fake, "/_fake/requests")).body)["requests"]
    assert [r["path"] for r in recorded] == ["/api/chat", "/api/chat"]
    assert recorded[1]["body"]["model"] == "tiny:1b" and recorded[1]["tokens_sent"] == 1
    assert (await call(fake, "/_fake/release", {})).code == 200
    reset = json.loads((await call(fake, "/_fake/reset", {})).body)["settings"]
    assert reset["fail_after"] is None and reset["models"] == ["llama3.1:8b", "qwen2.5:0.5b"]
    assert json.loads((await call(fake, "/_fake/requests")).body) == {
        "requests": [],
        "peak_generating": 0,
    }


async def test_the_most_replies_generated_at_once_is_counted(fake: FakeOllama) -> None:
    fake.configure(hold_after=1)
    pending = [asyncio.ensure_future(call(fake, "/api/chat", chat())) for _ in range(3)]
    while sum(r.tokens_sent for r in fake.requests) < 3:
        await asyncio.sleep(0.01)
    assert (fake.generating, fake.peak_generating) == (3, 3)
    fake.release()
    await asyncio.wait_for(asyncio.gather(*pending), GUARD)
    await call(fake, "/api/chat", chat())
    body = json.loads((await call(fake, "/_fake/requests")).body)
    assert (fake.generating, body["peak_generating"]) == (0, 3)


def test_it_runs_standalone_from_the_command_line() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    script = Path(__file__).with_name("fake_ollama.py")
    args = [sys.executable, str(script), "--port", str(port), "--models", "tiny:1b"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            assert f"listening on http://127.0.0.1:{port}" in process.stdout.readline()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/tags", timeout=GUARD) as r:
                assert [m["name"] for m in json.load(r)["models"]] == ["tiny:1b"]
        finally:
            process.terminate()
