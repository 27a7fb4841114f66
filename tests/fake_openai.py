"""OpenAI's API for the fake model server (tests/fake_ollama.py), under `/v1/`.

It follows OpenAI's API reference for chat completions, field by field:
`GET /v1/models` lists the models (`object: "list"`, each with `id`,
`object: "model"`, `created`, `owned_by`); `POST /v1/chat/completions`
answers one `chat.completion` object, or with `stream: true` a stream of
server-sent events, each `data: {chunk}` and an empty line:

- every chunk is a `chat.completion.chunk` with the same `id`, `created`,
  `model` and `system_fingerprint`, and one choice: `index`, `delta`,
  `logprobs` (null) and `finish_reason`;
- the first delta is `{"role": "assistant", "content": "", "refusal": null}`,
  then one token of text per chunk (`delta.content`), reasoning first in
  `delta.reasoning_content` (or the field `reasoning_field` names) when the
  fake is given `thinking` and the request does not say
  `reasoning_effort: "none"`;
- a chunk with an empty delta carries the `finish_reason`: `stop`, or
  `length` when `max_completion_tokens` (or the older `max_tokens`) cut the
  reply;
- with `stream_options: {"include_usage": true}` every chunk has
  `usage: null` and one more chunk, with no choices, carries the usage of the
  whole request (`prompt_tokens`, `completion_tokens`, `total_tokens` and
  their details); then `data: [DONE]`.

Errors have OpenAI's body, `{"error": {"message", "type", "param", "code"}}`:
an unknown model is a 404 (`model_not_found`), a missing or wrong bearer
token when `api_key` is set a 401, an unknown path a 404; `fail_after` ends a
stream with an event holding that error body and no `[DONE]`. `done_reason`
set to `""` ends the stream with `[DONE]` but no chunk with a finish_reason
and no usage, as llama.cpp's server does when it cuts a generation short
(tests/recorded/stream_interrupted.sse); another value replaces the
finish_reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from tornado.iostream import StreamClosedError

from tests.fake_ollama import FAIL_MESSAGE, OllamaHandler, dumps, full_name, tokenize

CREATED = 1_725_192_000  # when the fake's models were "made" (2024-09-01)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
}


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def usage(prompt: str, tokens: int, reasoning: int) -> dict[str, Any]:
    prompt_tokens = len(tokenize(prompt)) + 4  # as Ollama's prompt_eval_count in the fake
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": tokens,
        "total_tokens": prompt_tokens + tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class OpenAIHandler(OllamaHandler):
    API = "openai"
    ROUTES = {
        ("POST", "v1/chat/completions"): "chat",
        ("GET", "v1/models"): "models",
    }

    def fail(
        self, status: int, message: str, code: str | None = None, param: str | None = None
    ) -> None:
        kind = ERROR_TYPES.get(status, "server_error")
        error = {"message": message, "type": kind, "param": param, "code": code}
        self.answer({"error": error}, status)

    def not_found(self) -> None:
        self.fail(404, f"Invalid URL ({self.request.method} {self.request.path})")

    def authorized(self) -> bool:
        key = self.fake.settings.api_key
        if key is None or self.request.headers.get("Authorization") == f"Bearer {key}":
            return True
        given = self.request.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            self.fail(401, "You didn't provide an API key.")
        else:
            self.fail(401, "Incorrect API key provided.", code="invalid_api_key")
        return False

    def known_model(self, body: dict[str, Any]) -> str | None:
        model = body.get("model")
        if not model:
            self.fail(400, "you must provide a model parameter")
            return None
        if full_name(model) not in map(full_name, self.fake.settings.models):
            message = f"The model `{model}` does not exist or you do not have access to it."
            self.fail(404, message, code="model_not_found")
            return None
        return str(model)

    def models(self, body: dict[str, Any]) -> None:
        if not self.authorized():
            return
        data = [
            {"id": full_name(m), "object": "model", "created": CREATED, "owned_by": "library"}
            for m in self.fake.settings.models
        ]
        self.answer({"object": "list", "data": data})

    async def chat(self, body: dict[str, Any]) -> None:
        if not self.authorized():
            return
        model = self.known_model(body)
        if model is None:
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self.fail(400, "[] is too short - 'messages'", param="messages")
            return
        users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
        prompt = " ".join(text_of(m.get("content")) for m in messages)
        pieces = self.pieces(users[-1] if users else "", body.get("reasoning_effort") != "none")
        reason: str | None = "stop"
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if isinstance(limit, int) and 0 <= limit < len(pieces):
            pieces, reason = pieces[:limit], "length"
        if self.fake.settings.done_reason is not None:
            reason = self.fake.settings.done_reason or None
        reasoning = sum(1 for channel, _ in pieces if channel == "thinking")
        counts = usage(prompt, len(pieces), reasoning)
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        fingerprint = "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]

        def head(kind: str) -> dict[str, Any]:
            """The fields every object of this completion starts with, in OpenAI's order."""
            return {
                "id": ident,
                "object": kind,
                "created": created,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": fingerprint,
            }

        if body.get("stream") is True:
            await self.stream(body, head, pieces, reason, counts)
        else:
            await self.whole(head, pieces, reason, counts)

    async def whole(
        self,
        head: Callable[[str], dict[str, Any]],
        pieces: list[tuple[str, str]],
        reason: str | None,
        counts: dict[str, Any],
    ) -> None:
        settings = self.fake.settings
        if settings.fail_after is not None:
            self.fail(500, FAIL_MESSAGE)
            return
        await asyncio.sleep(settings.delay * len(pieces))
        self.rec.tokens_sent = len(pieces)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(text for channel, text in pieces if channel == "content"),
            "refusal": None,
            "annotations": [],
        }
        thinking = "".join(text for channel, text in pieces if channel == "thinking")
        if thinking:
            message[settings.reasoning_field] = thinking
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": reason}
        self.answer(head("chat.completion") | {"choices": [choice], "usage": counts})

    async def stream(
        self,
        body: dict[str, Any],
        head: Callable[[str], dict[str, Any]],
        pieces: list[tuple[str, str]],
        reason: str | None,
        counts: dict[str, Any],
    ) -> None:
        settings = self.fake.settings
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            extra = {"usage": None} if with_usage else {}
            return head("chat.completion.chunk") | {"choices": [choice], **extra}

        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        if not await self.event(chunk({"role": "assistant", "content": "", "refusal": None})):
            return
        for index, (channel, part) in enumerate(pieces):
            if index == settings.hold_after:
                await self.wait_for_release()
            if index == settings.fail_after:
                error = {"message": FAIL_MESSAGE, "type": "server_error", "param": None}
                await self.event({"error": error | {"code": None}})
                self.finish()
                return
            await asyncio.sleep(settings.delay)
            field = "content" if channel == "content" else settings.reasoning_field
            if self.gone.is_set() or not await self.event(chunk({field: part})):
                return
            self.rec.tokens_sent += 1
        if reason is not None:
            await self.event(chunk({}, reason))
            if with_usage:
                last = chunk({})
                last["choices"], last["usage"] = [], counts
                await self.event(last)
        await self.event("[DONE]")
        self.finish()

    async def event(self, data: dict[str, Any] | str) -> bool:
        """Sends one server-sent event; False once the client has hung up."""
        try:
            self.write(f"data: {data if isinstance(data, str) else dumps(data)}\n\n")
            await self.flush()
        except StreamClosedError:
            self.on_connection_close()
            return False
        return True
