"""The translation between Ollama's chat API and an OpenAI-compatible server's,
against replies recorded from a real server (tests/recorded/) and replies
shaped as other servers document them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jelai.gateway.openai import (
    ChatReply,
    EventStream,
    UnsupportedRequest,
    chat_request,
    error_message,
    model_entries,
)
from tests.ndjson import reply_text
from tests.sse import sse_chunks

RECORDED = Path(__file__).with_name("recorded")
INDEX = json.loads((RECORDED / "index.json").read_text())["recordings"]
MODEL = "smollm2:135m"  # the name the browser asked for


def recorded(name: str) -> bytes:
    return (RECORDED / INDEX[name]["file"]).read_bytes()


def pieces(body: bytes, size: int) -> list[bytes]:
    """The body as a network may deliver it: in pieces of `size` bytes."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def translate(body: bytes, size: int = 64) -> list[dict[str, Any]]:
    reply = ChatReply(MODEL)
    lines = [line for piece in pieces(body, size) for line in reply.feed(piece)]
    return lines + reply.end()


def recorded_text(name: str) -> str:
    chunks, _ = sse_chunks(recorded(name))
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_a_recorded_stream_becomes_ollama_lines_with_a_done_line(size: int) -> None:
    lines = translate(recorded("stream_stop"), size)
    *words, last = lines
    assert len(words) > 3
    for line in words:
        assert set(line) == {"model", "created_at", "message", "done"}
        assert line["model"] == MODEL and line["done"] is False
        assert line["message"]["role"] == "assistant" and line["message"]["content"]
    assert reply_text(words) == recorded_text("stream_stop")
    assert last["done"] is True and last["done_reason"] == "stop"
    assert last["message"] == {"role": "assistant", "content": ""}
    assert isinstance(last["total_duration"], int) and last["total_duration"] >= 0
    # This server sends no usage in a stream: no counts are made up.
    assert "eval_count" not in last and "prompt_eval_count" not in last


def test_a_recorded_reply_cut_by_max_tokens_is_done_for_length() -> None:
    lines = translate(recorded("stream_length"))
    assert lines[-1]["done_reason"] == "length"
    assert reply_text(lines) == recorded_text("stream_length")


def test_characters_split_between_pieces_arrive_whole() -> None:
    lines = translate(recorded("stream_utf8"), size=1)
    assert reply_text(lines) == recorded_text("stream_utf8")
    assert "\N{REPLACEMENT CHARACTER}" not in reply_text(lines)


def test_an_empty_stream_gives_no_done_line_so_the_cut_is_reported() -> None:
    assert recorded("stream_context_exceeded") == b""
    assert translate(b"") == []


def test_a_generation_cut_short_is_done_without_a_reason() -> None:
    lines = translate(recorded("stream_interrupted"))
    assert lines[-1]["done"] is True and "done_reason" not in lines[-1]
    assert reply_text(lines) == recorded_text("stream_interrupted")


@pytest.mark.parametrize("name, reason", [("chat_stop", "stop"), ("chat_length", "length")])
def test_a_recorded_unstreamed_reply_becomes_one_object_with_counts(name: str, reason: str) -> None:
    completion = json.loads(recorded(name))
    reply = ChatReply(MODEL).whole(recorded(name))
    assert reply["message"] == {
        "role": "assistant",
        "content": completion["choices"][0]["message"]["content"],
    }
    assert reply["done"] is True and reply["done_reason"] == reason
    assert reply["prompt_eval_count"] == completion["usage"]["prompt_tokens"]
    assert reply["eval_count"] == completion["usage"]["completion_tokens"]


def test_a_recorded_refusal_keeps_the_servers_words() -> None:
    body = recorded("chat_context_exceeded")
    assert INDEX["chat_context_exceeded"]["status"] == 400
    message = error_message(400, body)
    assert message.startswith("This model's maximum context length is 2048 tokens.")


def test_the_recorded_model_list_becomes_tags_entries() -> None:
    [entry] = model_entries(recorded("models"))
    assert entry["name"] == entry["model"] == "SmolLM2-135M-Instruct"
    assert set(entry) == {"name", "model", "modified_at", "size", "digest", "details"}


def test_the_request_is_the_one_the_recordings_were_made_with() -> None:
    sent = INDEX["stream_length"]["request"]["body"]
    ollama = {
        "model": MODEL,
        "messages": sent["messages"],
        "options": {"temperature": 0, "num_predict": 12, "num_ctx": 8192, "top_k": 40},
    }
    assert chat_request(ollama, "SmolLM2-135M-Instruct") == sent


def test_options_format_and_images_are_mapped() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is this?", "images": ["iVBORw0KGgo="]},
            {"role": "assistant", "content": "A plot.", "thinking": "It has axes."},
        ],
        "options": {
            "temperature": 0.2,
            "top_p": 0.9,
            "seed": 7,
            "stop": "###",
            "num_predict": -1,
            "frequency_penalty": 0.5,
            "presence_penalty": 0.1,
            "keep_alive": "5m",
        },
        "format": "json",
        "stream": False,
    }
    request = chat_request(body, "m")
    assert request == {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                    },
                ],
            },
            {"role": "assistant", "content": "A plot."},
        ],
        "stream": False,
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.1,
        "stop": ["###"],
        "response_format": {"type": "json_object"},
    }
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}}
    request = chat_request({"messages": [], "format": schema}, "m")
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }
    with pytest.raises(UnsupportedRequest):
        chat_request({"messages": [], "tools": [{"type": "function"}]}, "m")


def event(chunk: dict[str, Any] | str) -> bytes:
    return f"data: {chunk if isinstance(chunk, str) else json.dumps(chunk)}\n\n".encode()


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"object": "chat.completion.chunk", "choices": [choice], **extra}


def test_usage_in_a_last_chunk_without_choices_gives_the_counts() -> None:
    usage = {"prompt_tokens": 31, "completion_tokens": 2, "total_tokens": 33}
    body = b"".join(
        [
            event(chunk({"role": "assistant", "content": ""}, usage=None)),
            event(chunk({"content": "Hi"}, usage=None)),
            event(chunk({"content": "!"}, usage=None)),
            event(chunk({}, "stop", usage=None)),
            event({"object": "chat.completion.chunk", "choices": [], "usage": usage}),
            event("[DONE]"),
        ]
    )
    *words, last = translate(body)
    assert [w["message"]["content"] for w in words] == ["Hi", "!"]
    assert last["prompt_eval_count"] == 31 and last["eval_count"] == 2


def test_llama_cpps_timings_give_the_durations() -> None:
    timings = {"prompt_n": 12, "prompt_ms": 20.5, "predicted_n": 3, "predicted_ms": 90.25}
    body = event(chunk({"content": "x"})) + event(chunk({}, "length", timings=timings))
    last = translate(body + event("[DONE]"))[-1]
    assert last["prompt_eval_count"] == 12 and last["eval_count"] == 3
    assert last["prompt_eval_duration"] == 20_500_000
    assert last["eval_duration"] == 90_250_000
    assert last["done_reason"] == "length"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_becomes_ollamas_thinking(field: str) -> None:
    body = event(chunk({field: "They forgot x."})) + event(chunk({"content": "Which cell?"}))
    lines = translate(body + event(chunk({}, "stop")) + event("[DONE]"))
    assert lines[0]["message"] == {"role": "assistant", "content": "", "thinking": "They forgot x."}
    assert lines[1]["message"] == {"role": "assistant", "content": "Which cell?"}
    whole = {
        "choices": [
            {
                "index": 0,
                "message": {"content": "Which cell?", field: "Hmm."},
                "finish_reason": "stop",
            }
        ]
    }
    message = ChatReply(MODEL).whole(json.dumps(whole).encode())["message"]
    assert message == {"role": "assistant", "content": "Which cell?", "thinking": "Hmm."}


@pytest.mark.parametrize(
    "error",
    [
        {"error": {"message": "out of memory", "type": "server_error", "code": None}},
        {"error": "out of memory"},
        {"object": "error", "message": "out of memory", "type": "InternalServerError"},
    ],
)
def test_an_error_in_the_stream_ends_it_in_ollamas_error_shape(error: dict[str, Any]) -> None:
    body = event(chunk({"content": "Hi"})) + event(error) + event(chunk({"content": "late"}))
    lines = translate(body)
    assert lines[-1] == {"error": "out of memory"}
    assert reply_text(lines[:-1]) == "Hi"


def test_comments_crlf_and_event_fields_follow_the_event_stream_rules() -> None:
    body = (
        b": ping - 2025-01-01 00:00:00\r\n\r\n"
        b"event: message\r\ndata: " + json.dumps(chunk({"content": "a"})).encode() + b"\r\n\r\n"
        b"data: " + json.dumps(chunk({"content": "b"}, "stop")).encode() + b"\r\r"
        b"data: [DONE]"  # the last event without its blank line
    )
    for size in (1, 2, 5):
        lines = translate(body, size)
        assert reply_text(lines) == "ab" and lines[-1]["done_reason"] == "stop"
    stream = EventStream()
    assert stream.feed(b"data: one\ndata: two\n\n") == [("message", "one\ntwo")]
    assert stream.feed(b"event: error\ndata: {}\n\n") == [("error", "{}")]


def test_a_finish_reason_without_done_still_ends_the_reply() -> None:
    lines = translate(event(chunk({"content": "Hi"})) + event(chunk({}, "tool_calls")))
    assert lines[-1]["done"] is True and lines[-1]["done_reason"] == "stop"


@pytest.mark.parametrize(
    "status, body, message",
    [
        (
            401,
            b'{"error": {"message": "Incorrect API key provided."}}',
            "Incorrect API key provided.",
        ),
        (400, b'{"object": "error", "message": "bad model"}', "bad model"),
        (422, b'{"detail": [{"loc": ["body"], "msg": "field required"}]}', "field required"),
        (503, b'{"detail": "Loading model"}', "Loading model"),
        (502, b"Bad Gateway", "Bad Gateway"),
        (500, b"", "The model server answered HTTP 500."),
    ],
)
def test_error_answers_keep_the_servers_words(status: int, body: bytes, message: str) -> None:
    assert error_message(status, body) == message
