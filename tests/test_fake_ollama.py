"""The fake model server answers with the fields Ollama documents (docs/api.md),
and under /v1/ with the fields of OpenAI's API reference for chat completions."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from tests.fake_ollama import FakeOllama, reply_for, tokenize
from tests.ndjson import ndjson_lines, read_words
from tests.sse import sse_chunks

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
RECORDED = Path(__file__).with_name("recorded")
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
    return list(ndjson_lines(response.body.splitlines()))


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
    await read_words(reader, 2, GUARD)
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


# OpenAI's API (tests/fake_openai.py)

COMPLETION_FIELDS = {"id", "object", "created", "model", "service_tier", "system_fingerprint"}
CHOICE_FIELDS = {"index", "delta", "logprobs", "finish_reason"}
USAGE_FIELDS = {
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
}


def openai_chat(**fields: Any) -> dict[str, Any]:
    return {"model": "llama3.1:8b", "messages": [{"role": "user", "content": QUESTION}], **fields}


def streamed(**fields: Any) -> dict[str, Any]:
    return openai_chat(stream=True, **fields)


def texts(chunks: list[dict[str, Any]], field: str = "content") -> list[str]:
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    return [delta[field] for delta in deltas if field in delta]


async def events(fake: FakeOllama, body: dict[str, Any], **kwargs: Any) -> tuple[list, bool]:
    response = await call(fake, "/v1/chat/completions", body, **kwargs)
    assert response.code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    return sse_chunks(response.body)


async def test_openai_models_lists_each_model(fake: FakeOllama) -> None:
    listing = json.loads((await call(fake, "/v1/models")).body)
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["llama3.1:8b", "qwen2.5:0.5b"]
    for model in listing["data"]:
        assert set(model) == {"id", "object", "created", "owned_by"}
        assert model["object"] == "model" and isinstance(model["created"], int)


async def test_openai_stream_sends_one_token_per_chunk_then_the_finish_reason(
    fake: FakeOllama,
) -> None:
    chunks, done = await events(fake, streamed())
    assert done
    first, *middle, last = chunks
    for chunk in chunks:
        assert set(chunk) == COMPLETION_FIELDS | {"choices"}  # no usage unless asked
        assert chunk["object"] == "chat.completion.chunk"
        assert (chunk["id"], chunk["created"]) == (first["id"], first["created"])
        [choice] = chunk["choices"]
        assert set(choice) == CHOICE_FIELDS and choice["index"] == 0
    assert first["id"].startswith("chatcmpl-") and first["model"] == "llama3.1:8b"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert "".join(texts(middle)) == reply_for(QUESTION)
    assert len(middle) == len(tokenize(reply_for(QUESTION)))
    assert all(c["choices"][0]["finish_reason"] is None for c in [first, *middle])
    assert last["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert fake.requests[0].tokens_sent == len(middle)


async def test_openai_stream_ends_with_the_usage_when_asked(fake: FakeOllama) -> None:
    chunks, done = await events(fake, streamed(stream_options={"include_usage": True}))
    *replies, finish, counted = chunks
    assert done and finish["choices"][0]["finish_reason"] == "stop"
    assert all(c["usage"] is None for c in [*replies, finish])
    assert counted["choices"] == [] and set(counted) == COMPLETION_FIELDS | {"choices", "usage"}
    usage = counted["usage"]
    assert set(usage) == USAGE_FIELDS
    assert usage["completion_tokens"] == len(texts(replies)) - 1  # less the opening role chunk
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0


async def test_openai_without_streaming_answers_one_completion(fake: FakeOllama) -> None:
    response = await call(fake, "/v1/chat/completions", openai_chat())
    assert response.headers["Content-Type"].startswith("application/json")
    completion = json.loads(response.body)
    assert set(completion) == COMPLETION_FIELDS | {"choices", "usage"}
    assert completion["object"] == "chat.completion"
    [choice] = completion["choices"]
    assert choice == {
        "index": 0,
        "message": {
            "role": "assistant",
            "content": reply_for(QUESTION),
            "refusal": None,
            "annotations": [],
        },
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert completion["usage"]["completion_tokens"] == len(tokenize(reply_for(QUESTION)))


async def test_openai_max_tokens_cut_the_reply_with_finish_reason_length(
    fake: FakeOllama,
) -> None:
    for limit in ("max_completion_tokens", "max_tokens"):
        chunks, _ = await events(fake, streamed(**{limit: 4}))
        assert len(texts(chunks)) == 1 + 4
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    whole = json.loads((await call(fake, "/v1/chat/completions", openai_chat(max_tokens=4))).body)
    assert whole["choices"][0]["finish_reason"] == "length"
    assert whole["usage"]["completion_tokens"] == 4
    assert reply_for(QUESTION).startswith(whole["choices"][0]["message"]["content"])


async def test_openai_reasoning_streams_first_in_its_own_field(fake: FakeOllama) -> None:
    fake.configure(thinking="The student wants a mean.", reply="What is a mean?")
    body = streamed(stream_options={"include_usage": True})
    chunks, _ = await events(fake, body)
    assert "".join(texts(chunks, "reasoning_content")) == "The student wants a mean."
    deltas = [set(c["choices"][0]["delta"]) for c in chunks[1:-2]]
    assert deltas == [{"reasoning_content"}] * 5 + [{"content"}] * 4  # reasoning before content
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5
    assert chunks[-1]["usage"]["completion_tokens"] == 9
    # Ollama's /v1 calls the field `reasoning`; `reasoning_effort: "none"` turns it off.
    fake.configure(reasoning_field="reasoning")
    chunks, _ = await events(fake, streamed())
    assert "".join(texts(chunks, "reasoning")) == "The student wants a mean."
    chunks, _ = await events(fake, streamed(reasoning_effort="none"))
    assert "".join(texts(chunks)) == "What is a mean?" and not texts(chunks, "reasoning")
    whole = json.loads((await call(fake, "/v1/chat/completions", openai_chat())).body)
    message = whole["choices"][0]["message"]
    assert (message["content"], message["reasoning"]) == ("What is a mean?", fake.settings.thinking)


async def test_openai_a_cut_reply_ends_with_done_but_no_finish_reason(fake: FakeOllama) -> None:
    fake.configure(done_reason="", reply="Half a")
    chunks, done = await events(fake, streamed(stream_options={"include_usage": True}))
    assert done and "".join(texts(chunks)) == "Half a"
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * 3
    assert all(c["usage"] is None for c in chunks)  # no usage chunk either
    fake.configure(done_reason="content_filter")
    chunks, _ = await events(fake, streamed())
    assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"


async def test_openai_errors_have_openais_error_body(fake: FakeOllama) -> None:
    missing = await call(fake, "/v1/chat/completions", openai_chat(model="phi3:mini"))
    assert missing.code == 404
    assert json.loads(missing.body) == {
        "error": {
            "message": "The model `phi3:mini` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": None,
            "code": "model_not_found",
        }
    }
    nameless = await call(fake, "/v1/chat/completions", {"messages": []})
    assert nameless.code == 400 and json.loads(nameless.body)["error"]["code"] is None
    empty = await call(fake, "/v1/chat/completions", openai_chat(messages=[]))
    assert empty.code == 400 and json.loads(empty.body)["error"]["param"] == "messages"
    unknown = await call(fake, "/v1/nothing")
    assert unknown.code == 404
    assert json.loads(unknown.body)["error"]["message"] == "Invalid URL (GET /v1/nothing)"


async def test_openai_api_key_is_asked_for_when_set(fake: FakeOllama) -> None:
    fake.configure(api_key="sk-course")
    for headers in ({}, {"Authorization": "Bearer sk-wrong"}):
        refused = await call(fake, "/v1/models", headers=headers)
        assert refused.code == 401
        assert json.loads(refused.body)["error"]["type"] == "invalid_request_error"
    wrong = await call(
        fake, "/v1/chat/completions", streamed(), headers={"Authorization": "Bearer x"}
    )
    assert wrong.code == 401 and json.loads(wrong.body)["error"]["code"] == "invalid_api_key"
    chunks, done = await events(fake, streamed(), headers={"Authorization": "Bearer sk-course"})
    assert done and "".join(texts(chunks)) == reply_for(QUESTION)


async def test_openai_fail_mode_ends_the_stream_with_an_error_event(fake: FakeOllama) -> None:
    fake.configure(fail_after=3)
    response = await call(fake, "/v1/chat/completions", streamed())
    chunks, done = sse_chunks(response.body)
    assert not done
    *replies, failure = chunks
    assert len(texts(replies)) == 1 + 3
    assert set(failure) == {"error"}
    assert set(failure["error"]) == {"message", "type", "param", "code"}
    whole = await call(fake, "/v1/chat/completions", openai_chat())
    assert whole.code == 500 and json.loads(whole.body)["error"]["type"] == "server_error"


async def test_openai_a_held_stream_waits_and_a_hang_up_is_recorded(fake: FakeOllama) -> None:
    fake.configure(hold_after=2, delay=0.001)
    body = json.dumps(streamed()).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
    )
    received = b""
    while received.count(b'"content":') < 3:  # the opening chunk and two tokens
        received += await asyncio.wait_for(reader.read(4096), GUARD)
    [record] = fake.requests
    assert record.path == "/v1/chat/completions"
    assert record.tokens_sent == 2 and not record.ended.is_set()
    writer.close()
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up and not record.finished


async def test_apis_makes_it_answer_one_api_only(fake: FakeOllama) -> None:
    fake.configure(apis=["openai"])
    assert (await call(fake, "/api/chat", chat())).code == 404
    assert (await call(fake, "/api/tags")).body == b"404 page not found"
    assert (await call(fake, "/v1/models")).code == 200
    fake.configure(apis=["ollama"])
    assert (await call(fake, "/v1/models")).body == b"404 page not found"
    assert (await call(fake, "/api/tags")).code == 200


async def test_openai_stream_has_the_shape_of_the_recorded_real_server(fake: FakeOllama) -> None:
    recorded = json.loads((RECORDED / "index.json").read_text())["recordings"]
    for name, reason in (("stream_stop", "stop"), ("stream_length", "length")):
        real, real_done = sse_chunks((RECORDED / recorded[name]["file"]).read_bytes())
        body = recorded[name]["request"]["body"] | {"model": "llama3.1:8b"}
        ours, done = await events(fake, body)
        assert real_done and done
        # Every field the real server sends, the fake sends too, in each kind of
        # chunk: the opening one, a token, the finish (the fake's usage chunk follows).
        for theirs, mine in ((real[0], ours[0]), (real[1], ours[1]), (real[-1], ours[-2])):
            assert set(theirs) <= set(mine)
            assert set(theirs["choices"][0]) == set(mine["choices"][0])
            assert theirs["choices"][0]["finish_reason"] == mine["choices"][0]["finish_reason"]
        assert real[-1]["choices"][0]["finish_reason"] == reason
        assert real[-1]["choices"][0]["delta"] == ours[-2]["choices"][0]["delta"] == {}


def test_it_answers_openais_api_only_from_the_command_line() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    script = Path(__file__).with_name("fake_ollama.py")
    args = [sys.executable, str(script), "--port", str(port), "--api", "openai", "--api-key", "k"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            assert f"listening on http://127.0.0.1:{port}" in process.stdout.readline()
            asked = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer k"}
            )
            with urllib.request.urlopen(asked, timeout=GUARD) as answer:
                assert json.load(answer)["data"][0]["id"] == "llama3.1:8b"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/tags", timeout=GUARD)
            assert refused.value.code == 404
        finally:
            process.terminate()
