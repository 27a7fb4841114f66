"""Ollama's chat API spoken to an OpenAI-compatible model server.

The browser's `ollama` client reads Ollama's `/api/chat`; vLLM, llama.cpp's
server, LM Studio, LiteLLM and Ollama's own `/v1` serve OpenAI's
`/v1/chat/completions`. This module translates between the two and knows
nothing of HTTP connections (`routing.py` sends the requests).

The request (`chat_request`):
- `messages` keep their role and content; images (Ollama's bare base64)
  become `image_url` parts with a data URL; an assistant's `thinking` is
  left out, as OpenAI's API has no place for it.
- `options`: `temperature`, `top_p`, `seed`, `stop`, `frequency_penalty`
  and `presence_penalty` pass as they are, `num_predict` becomes
  `max_tokens` (none when it is negative: Ollama's "no limit"). The other
  Ollama options (`num_ctx`, `top_k`, `keep_alive`...) are not part of
  OpenAI's API and are not sent: such a server sets its context window when
  it loads the model.
- `format: "json"` becomes `response_format: {"type": "json_object"}`, a
  JSON schema `{"type": "json_schema", ...}`.
- A streamed request (Ollama's default) asks for `stream: true` and
  `stream_options: {"include_usage": true}`, so the token counts come back.

The reply (`ChatReply`): server-sent events (`data: {chunk}` lines, ended by
`data: [DONE]`) become Ollama's NDJSON lines, one per chunk that carries
text: `delta.content` in `message.content`, the reasoning some servers send
in `delta.reasoning_content` (llama.cpp, vLLM, DeepSeek) or
`delta.reasoning` (Ollama, newer vLLM) in `message.thinking`. The last line
is `done: true` with `done_reason` from `finish_reason` (`stop`, `length`;
`tool_calls` reads as `stop`, as in Ollama), `prompt_eval_count` and
`eval_count` from `usage` (or llama.cpp's `timings` when there is no usage),
`prompt_eval_duration` and `eval_duration` from llama.cpp's `timings`, and
`total_duration` as measured here. An error, whole or in the stream, becomes
Ollama's `{"error": "..."}`. These are the model's own counts; when the
prompt held the instructor-only layer, the proxy replaces them before the
student gets them (`instructor_share.public_counts`).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any

# Ollama's options that OpenAI's chat completions take under the same name.
SAME_NAME = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty")
# finish_reason -> Ollama's done_reason; others pass as the server wrote them.
DONE_REASONS = {"stop": "stop", "length": "length", "tool_calls": "stop", "function_call": "stop"}
# The first bytes of an image in base64, for the data URL's media type.
_IMAGE_TYPES = {"iVBOR": "png", "/9j/": "jpeg", "R0lGOD": "gif", "UklGR": "webp"}
_LINE_END = re.compile(rb"\r\n|\n|\r")
DONE_EVENT = "[DONE]"


def dumps(value: Any) -> bytes:
    """One NDJSON line as Ollama (Go) writes it: compact, UTF-8, newline-ended."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def now_iso() -> str:
    """Ollama's `created_at`: UTC, RFC 3339 with fractions of a second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UnsupportedRequest(ValueError):
    """An Ollama request with no OpenAI counterpart this translation keeps."""


def chat_request(body: dict[str, Any], model: str) -> dict[str, Any]:
    """The `/v1/chat/completions` body for an Ollama `/api/chat` body; `model` is
    the name the OpenAI-compatible server knows the model by."""
    if body.get("tools"):
        raise UnsupportedRequest("Tools are not passed to an OpenAI-compatible model server.")
    request: dict[str, Any] = {
        "model": model,
        "messages": [_message(m) for m in body.get("messages") or []],
    }
    stream = body.get("stream", True) is not False
    request["stream"] = stream
    if stream:
        request["stream_options"] = {"include_usage": True}
    options = body.get("options") or {}
    for name in SAME_NAME:
        if options.get(name) is not None:
            request[name] = options[name]
    stop = options.get("stop")
    if isinstance(stop, str):
        request["stop"] = [stop]
    elif isinstance(stop, list) and stop:
        request["stop"] = [str(s) for s in stop]
    limit = options.get("num_predict")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        request["max_tokens"] = limit
    form = body.get("format")
    if form == "json":
        request["response_format"] = {"type": "json_object"}
    elif isinstance(form, dict):
        schema = {"name": "response", "schema": form}
        request["response_format"] = {"type": "json_schema", "json_schema": schema}
    return request


def _message(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content") or ""
    images = message.get("images") or []
    if not images:
        return {"role": message["role"], "content": content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": content}] if content else []
    for image in images:
        kind = next((t for p, t in _IMAGE_TYPES.items() if str(image).startswith(p)), "png")
        url = f"data:image/{kind};base64,{image}"
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return {"role": message["role"], "content": parts}


def error_message(status: int, body: bytes) -> str:
    """The words of an OpenAI-compatible server's error answer.

    OpenAI's shape is `{"error": {"message": ...}}`; some servers send
    `{"error": "..."}`, vLLM `{"object": "error", "message": ...}`, and
    servers built on FastAPI `{"detail": ...}`.
    """
    text = body.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text[:500] or f"The model server answered HTTP {status}."
    found = _error_in(value)
    if found is not None:
        return found
    if isinstance(value, dict) and "detail" in value:
        detail = value["detail"]
        if isinstance(detail, list):
            return "; ".join(
                str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail
            )
        return str(detail)
    return text[:500] or f"The model server answered HTTP {status}."


def _error_in(value: Any) -> str | None:
    """The message of an error object, or None for anything else."""
    if not isinstance(value, dict):
        return None
    error = value.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if isinstance(error, str) and error:
        return error
    if value.get("object") == "error":
        return str(value.get("message") or value)
    return None


class EventStream:
    """Server-sent events from bytes as they arrive (the WHATWG rules): `data:`
    lines joined by newlines, a blank line ends an event, `:` lines are comments."""

    def __init__(self) -> None:
        self._pending = b""
        self._data: list[str] = []
        self._type = ""

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """The events completed by `data`, as (type, data)."""
        self._pending += data
        lines = _LINE_END.split(self._pending)
        self._pending = lines.pop()
        if self._pending == b"" and data.endswith(b"\r"):
            # A CR at the end of a chunk may be half of a CRLF: the next chunk says.
            self._pending, lines[-1:] = lines[-1] + b"\r", []
        events = []
        for raw in lines:
            event = self._line(raw.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events

    def end(self) -> list[tuple[str, str]]:
        """What the stream ended on; an event without its blank line is still taken."""
        events = self.feed(b"\n") if self._pending else []
        event = self._line("")
        return events + ([event] if event is not None else [])

    def _line(self, line: str) -> tuple[str, str] | None:
        if not line:
            if not self._data:
                self._type = ""
                return None
            event = (self._type or "message", "\n".join(self._data))
            self._data, self._type = [], ""
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._type = value
        return None


class ChatReply:
    """One OpenAI chat completion, streamed or whole, as Ollama's reply to `model`.

    `started` is when the request was sent (`time.monotonic()`), for
    `total_duration`.
    """

    def __init__(self, model: str, started: float | None = None) -> None:
        self.model = model
        self.started = time.monotonic() if started is None else started
        self.finished = False  # the done (or error) line was given
        self._events = EventStream()
        self._reason: str | None = None
        self._usage: dict[str, Any] = {}
        self._timings: dict[str, Any] = {}

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The Ollama lines for a piece of the event stream."""
        return [line for event in self._events.feed(data) for line in self._event(*event)]

    def end(self) -> list[dict[str, Any]]:
        """The lines left when the stream is over. A stream that gave its finish
        reason but no `[DONE]` still ends with the done line; one that gave
        neither ends with nothing, and the caller reports the cut."""
        lines = [line for event in self._events.end() for line in self._event(*event)]
        if not self.finished and self._reason is not None:
            lines.append(self._done())
        return lines

    def whole(self, body: bytes) -> dict[str, Any]:
        """The Ollama reply for an unstreamed completion."""
        try:
            value = json.loads(body)
        except ValueError:
            return {"error": "The model server's answer is not JSON."}
        error = _error_in(value)
        if error is not None or not isinstance(value, dict):
            return {"error": error or "The model server's answer is not a completion."}
        self._take_counts(value)
        choice = _first_choice(value)
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        self._reason = choice.get("finish_reason") or None
        done = self._done()
        done["message"] = self._message(message.get("content"), _reasoning(message))
        return done

    def _event(self, kind: str, data: str) -> list[dict[str, Any]]:
        if self.finished:
            return []
        if data.strip() == DONE_EVENT:
            return [self._done()]
        try:
            chunk = json.loads(data)
        except ValueError:
            if kind == "error":
                return [self._error(data)]
            return []  # not a chunk (a keep-alive or a server's own note)
        error = _error_in(chunk)
        if kind == "error" or error is not None:
            return [self._error(error or data)]
        if not isinstance(chunk, dict):
            return []
        self._take_counts(chunk)
        choice = _first_choice(chunk)
        if choice.get("finish_reason"):
            self._reason = str(choice["finish_reason"])
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        content, thinking = delta.get("content"), _reasoning(delta)
        if not (isinstance(content, str) and content) and not thinking:
            return []
        line = {"model": self.model, "created_at": now_iso()}
        return [{**line, "message": self._message(content, thinking), "done": False}]

    def _message(self, content: Any, thinking: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": content if isinstance(content, str) else ""}
        if thinking:
            message["thinking"] = thinking
        return message

    def _take_counts(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        if isinstance(chunk.get("timings"), dict):
            self._timings = chunk["timings"]

    def _done(self) -> dict[str, Any]:
        self.finished = True
        line: dict[str, Any] = {
            "model": self.model,
            "created_at": now_iso(),
            "message": self._message("", ""),
        }
        if self._reason is not None:
            line["done_reason"] = DONE_REASONS.get(self._reason, self._reason)
        line["done"] = True
        line["total_duration"] = round((time.monotonic() - self.started) * 1e9)
        usage, timings = self._usage, self._timings
        for name, count, fallback, ms in (
            ("prompt_eval", "prompt_tokens", "prompt_n", "prompt_ms"),
            ("eval", "completion_tokens", "predicted_n", "predicted_ms"),
        ):
            tokens = _count(usage.get(count))
            tokens = _count(timings.get(fallback)) if tokens is None else tokens
            if tokens is not None:
                line[f"{name}_count"] = tokens
            if isinstance(timings.get(ms), (int, float)):
                line[f"{name}_duration"] = round(timings[ms] * 1e6)
        return line

    def _error(self, message: str) -> dict[str, Any]:
        self.finished = True
        return {"error": message}


def _first_choice(chunk: dict[str, Any]) -> dict[str, Any]:
    """The choice with index 0 (the only one asked for); {} for a usage-only chunk."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return {}
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice
    return {}


def _reasoning(part: dict[str, Any]) -> str:
    for name in ("reasoning_content", "reasoning"):
        value = part.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def model_entries(body: bytes) -> list[dict[str, Any]]:
    """The `/v1/models` listing as entries of Ollama's `/api/tags`."""
    listing = json.loads(body)
    models = listing.get("data") if isinstance(listing, dict) else None
    return [
        model_entry(model["id"], model.get("created"))
        for model in models or []
        if isinstance(model, dict) and isinstance(model.get("id"), str)
    ]


def model_entry(name: str, created: Any = None) -> dict[str, Any]:
    """An `/api/tags` entry for a model an OpenAI-compatible server serves: name
    and model are its id; what such a server does not tell is left empty."""
    when = "1970-01-01T00:00:00Z"
    if isinstance(created, int) and not isinstance(created, bool) and created > 0:
        when = datetime.fromtimestamp(created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "name": name,
        "model": name,
        "modified_at": when,
        "size": 0,
        "digest": "",
        "details": {
            "parent_model": "",
            "format": "",
            "family": "",
            "families": None,
            "parameter_size": "",
            "quantization_level": "",
        },
    }
