"""The tutor's questions through a standalone Jupyter server's gateway to a
real model: SmolLM2 on llama.cpp's OpenAI-compatible server (the session's
`real_model`), configured as the one upstream in `c.JelaiTutor.upstreams`.

Each question goes to `/jelai/ollama/api/chat`, the route the browser's
`ollama` client uses, and comes back as Ollama's NDJSON lines, translated
from the server's event stream. A real model's words are not predictable, so
these check what the student and the record get: chunks, the last line, the
stored `chat.exchange`, and what the model server did (its log).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

from tests.ndjson import NdjsonStream, open_chat, post_chat, read_words, reply_text
from tests.real_model import DISCONNECTED, PERF_EVAL, RealModelServer

Fetch = Callable[..., Any]
NOTEBOOK = "week 1/lists.ipynb"
GUARD = 60  # seconds; only keeps a stuck server from hanging the suite
# A question SmolLM2 answers at length in prose (no code block the tutor's
# guard would hold back), so a reply is cut by a limit, not ended by the model.
LONG_QUESTION = "Tell me a long story about a cat who learns to program."


@pytest.fixture
def jp_server_config(jp_server_config: Config, real_model: RealModelServer) -> Config:
    tutor = jp_server_config.JelaiTutor
    tutor.upstreams = [{"url": real_model.url, "api": "openai", "models": [real_model.model]}]
    tutor.models = [real_model.model]
    tutor.default_model = real_model.model
    tutor.model_options = {"temperature": 0}
    tutor.context_window = real_model.context
    return jp_server_config


def conversation() -> dict[str, str]:
    return {"X-Jelai-Notebook": quote(NOTEBOOK, safe=""), "X-Jelai-Session": "page-1"}


def chat_body(question: str, **fields: Any) -> bytes:
    body = {"messages": [{"role": "user", "content": question}], **fields}
    return json.dumps(body).encode()


async def chat(
    jp_fetch: Fetch, question: str, **fields: Any
) -> tuple[HTTPResponse, list[dict[str, Any]], int]:
    """The response, its NDJSON lines and how many pieces they arrived in."""
    reply = NdjsonStream()
    body = chat_body(question, **fields)
    response = await post_chat(jp_fetch, body, conversation(), reply, request_timeout=GUARD)
    return response, reply.lines, reply.pieces


async def exchanges(jp_fetch: Fetch) -> list[dict[str, Any]]:
    params = {"notebook": NOTEBOOK, "type": "chat.exchange"}
    response = await jp_fetch("jelai", "events", params=params)
    return [event["data"] for event in json.loads(response.body)["events"]]


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Waits for a blocking check without holding up the server on this loop."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def test_a_question_streams_back_in_chunks_and_is_recorded(jp_fetch: Fetch) -> None:
    response, lines, pieces = await chat(
        jp_fetch, "How do I add an item to a list in Python?", options={"num_predict": 40}
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    *words, last = lines
    # One line per piece of text, as the model wrote them, sent on as they came.
    assert len(words) >= 10 and pieces > 1
    assert all(line["done"] is False and line["message"]["content"] for line in words)
    assert last["done"] is True and last["done_reason"] in ("stop", "length")
    reply = reply_text(lines)
    assert reply.strip()

    [record] = await exchanges(jp_fetch)
    assert record["status"] == "finished" and record["error"] is None
    assert record["model"] == "SmolLM2-135M-Instruct"
    assert record["messages"][-1]["content"] == "How do I add an item to a list in Python?"
    assert record["options"]["temperature"] == 0 and record["options"]["num_predict"] == 40
    assert record["reply"] == reply
    assert record["done_reason"] == last["done_reason"]
    assert 0 <= record["ttft_ms"] <= record["total_ms"]
    # llama.cpp's server (llama-cpp-python) sends no token counts in a stream:
    # it ignores `stream_options.include_usage` and has no `timings`. The last
    # line carries none, and the record keeps what the last line said.
    assert "eval_count" not in last and "prompt_eval_count" not in last
    assert record["eval_count"] is None and record["prompt_eval_count"] is None


async def test_a_reply_that_is_not_streamed_is_recorded_with_the_servers_token_counts(
    jp_fetch: Fetch,
) -> None:
    body = chat_body(LONG_QUESTION, stream=False, options={"num_predict": 8})
    response = await post_chat(jp_fetch, body, conversation(), request_timeout=GUARD)
    reply = json.loads(response.body)
    assert reply["done"] is True and reply["done_reason"] == "length"
    assert reply["message"]["content"].strip()
    # The server's own counts (its `usage`): the prompt, with the tutor's
    # instructions the gateway put first, and exactly the 8 tokens allowed.
    assert reply["eval_count"] == 8 and reply["prompt_eval_count"] > 100
    [record] = await exchanges(jp_fetch)
    assert record["status"] == "finished" and record["done_reason"] == "length"
    assert record["eval_count"] == 8
    assert record["prompt_eval_count"] == reply["prompt_eval_count"]
    assert record["reply"] == reply["message"]["content"]


async def test_a_reply_cut_by_the_token_limit_is_shown_and_recorded_as_cut(
    jp_fetch: Fetch,
) -> None:
    _, lines, _ = await chat(jp_fetch, LONG_QUESTION, options={"num_predict": 6})
    *words, last = lines
    assert 1 <= len(words) <= 6 and reply_text(lines).strip()
    assert last["done"] is True and last["done_reason"] == "length"
    [record] = await exchanges(jp_fetch)
    assert record["status"] == "finished" and record["done_reason"] == "length"
    assert record["reply"] == reply_text(lines)


async def test_a_student_who_stops_the_reply_stops_the_model_server(
    jp_fetch: Fetch,
    real_model: RealModelServer,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    http_server_port: tuple[socket.socket, int],
) -> None:
    before = len(real_model.log())
    # Room for a long story: without the stop the model writes for many seconds.
    body = chat_body(LONG_QUESTION, options={"num_predict": 1000})
    headers = {**jp_auth_header, **conversation()}
    reader, writer = await open_chat(http_server_port[1], jp_base_url, headers, body)
    await read_words(reader, 3, GUARD)
    writer.close()  # what the browser does when the student presses stop

    await in_thread(real_model.wait_for_log, DISCONNECTED, GUARD, before)
    # The stopped generation never ran to its end; the next question is
    # answered, and it is the only generation completed since.
    _, lines, _ = await chat(jp_fetch, "Say hello.", options={"num_predict": 3})
    assert lines[-1]["done"] is True
    await in_thread(real_model.wait_for_log, PERF_EVAL, GUARD, before)
    assert real_model.completed_generations(before) == 1

    stopped, answered = await exchanges(jp_fetch)
    assert stopped["status"] == "stopped" and stopped["done_reason"] is None
    assert stopped["reply"].strip() and stopped["eval_count"] is None
    assert answered["status"] == "finished"
