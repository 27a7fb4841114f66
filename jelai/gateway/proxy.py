"""What the model server proxy lets through, and how it relays the reply.

`ProxyCall` checks one browser request against the allowlists, rewrites it
(default model, model options within the course's ranges), completes a
chat's prompt (`completed_chat.py`), sends it to Ollama and hands the reply
back line by line so the handler can flush each line as it comes. For
`/api/chat` it keeps an `Exchange`, the server's own record of the
conversation turn, and gives it to a callback when the reply ends; a
`ReplyGuard` (`guardrails.py`) decides what of the reply the browser gets,
line by line: in tutor mode (the completed prompt's merged pedagogy), and in
any mode when there is a reference solution to hold the reply to. When the prompt
holds the instructor-only layer, the model's counts are replaced before
anything reads them (`instructor_share.public_counts`): the browser, the
exchange and the quotas get the count the page was told, and the exchange
keeps the model's own for staff (`model_prompt_eval_count`).
It knows nothing of Jupyter's handlers; `handler.py` drives it.

Only what the tutor uses passes: `/api/chat` (POST), `/api/tags` and
`/api/version` (GET); everything else is a 403. A chat request may carry
`model`, `messages`, `stream`, `options`, `think` and the page's `jelai`
object, nothing else (`format`, `keep_alive`, `tools`... are a 400: how long
a model stays loaded is the course's business). Its `options` may only name
those of `c.JelaiTutor.option_ranges`, each within its range (400 otherwise:
`num_ctx`, `num_gpu`, `main_gpu`, `num_thread`... are the course's);
`num_ctx` is always the course's `context_window`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Callable

from ..errors import JelaiError
from .completed_chat import CompletedChat, complete_chat
from .exchange import Exchange
from .guardrails import ReplyGuard
from .instructor_share import public_counts
from .routing import route
from .upstream import UpstreamError
from .upstreams import Upstreams, full_name

if TYPE_CHECKING:
    from ..config import JelaiTutor
    from .assignments import Assignment

# The endpoints the tutor uses and the method Ollama expects for each.
ALLOWED = {
    "chat": "POST",
    "tags": "GET",
    "version": "GET",
}
# Endpoints that change what the model server holds, refused with their own message.
CHANGING = ("pull", "push", "create", "delete", "copy", "blobs")
WITH_MODEL = ("chat",)
WITH_OPTIONS = ("chat",)
MODEL_LISTS = ("tags",)
# The fields of Ollama's chat request a student's side may set; `jelai` is the page's.
# No `format`: the tutor never asks for structured output, and a JSON schema would
# carry a reply's code out of fences, where the guard looks for it.
CHAT_FIELDS = ("model", "messages", "stream", "options", "think", "jelai")
# What a line holding the model's counts or durations has in it, read before parsing.
_COUNT_MARKS = (b"prompt_eval_count", b"_duration")


def model_allowed(models: list[str], model: str) -> bool:
    """An empty allowlist allows every model the server has."""
    return not models or full_name(model) in {full_name(m) for m in models}


def check_endpoint(path: str, method: str) -> str:
    """The Ollama endpoint named by `path`, or a 403/405 JelaiError."""
    endpoint = path.strip("/")
    if endpoint.split("/")[0] in CHANGING:
        raise JelaiError(
            403,
            f"/api/{endpoint} is refused: the tutor cannot pull, push, create, copy or "
            "delete models. Ask an administrator to manage models on the Ollama server.",
        )
    if endpoint not in ALLOWED:
        allowed = ", ".join(f"/api/{name}" for name in ALLOWED)
        raise JelaiError(
            403, f"/api/{endpoint} is refused: the tutor uses only {allowed} through jelai."
        )
    if method != ALLOWED[endpoint]:
        raise JelaiError(405, f"/api/{endpoint} takes {ALLOWED[endpoint]} requests.")
    return endpoint


def rewrite_body(cfg: JelaiTutor, endpoint: str, payload: Any) -> dict[str, Any]:
    """The body sent to Ollama: the model checked or defaulted, options merged."""
    if not isinstance(payload, dict):
        raise JelaiError(400, "Request body must be a JSON object.")
    body = dict(payload)
    if endpoint == "chat":
        check_fields(body)
    if endpoint in WITH_MODEL:
        model = body.get("model") or cfg.default_model
        if not isinstance(model, str):
            raise JelaiError(400, "The model must be a string.", "model")
        if not model_allowed(cfg.models, model):
            raise JelaiError(
                403,
                f'The model "{model}" is not allowed here; allowed models: '
                f"{', '.join(cfg.models)}.",
                "model",
            )
        body["model"] = model
    if endpoint in WITH_OPTIONS:
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise JelaiError(400, "The options must be a JSON object.", "options")
        check_options(options, cfg.option_ranges)
        # The request's own options (within range) win over the instructor's
        # defaults, but not the context window: the context budget fits it.
        body["options"] = {**cfg.model_options, **options, "num_ctx": cfg.context_window}
    if endpoint == "chat":
        check_messages(body.get("messages", []))
    return body


def check_fields(body: dict[str, Any]) -> None:
    """A 400 for a chat request field the tutor's requests may not set."""
    for name in body:
        if name in CHAT_FIELDS:
            continue
        if name == "keep_alive":
            raise JelaiError(
                400,
                "keep_alive is refused: how long a model stays loaded is set by the course.",
                name,
            )
        raise JelaiError(400, f"{name} is not a field the tutor's requests may set.", name)


def check_options(options: dict[str, Any], ranges: dict[str, list[float]]) -> None:
    """A 400 for an option outside `ranges` (`c.JelaiTutor.option_ranges`): one it
    does not name, or a value that is not a number between its two bounds."""
    for name, value in options.items():
        where = f"options.{name}"
        if name not in ranges:
            allowed = ", ".join(sorted(ranges)) or "none"
            raise JelaiError(
                400,
                f"The option {name} is set by the course; a request may set only: {allowed}.",
                where,
            )
        low, high = ranges[name]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise JelaiError(
                400, f"{name} must be a number from {low:g} to {high:g} in this course.", where
            )


def check_messages(messages: Any) -> None:
    """A 400 unless `messages` are Ollama chat messages the exchange can record."""
    if not isinstance(messages, list):
        raise JelaiError(400, "The messages must be a list.", "messages")
    for index, message in enumerate(messages):
        field = f"messages[{index}]"
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise JelaiError(400, "Each message must be an object with a role.", field)
        if not isinstance(message.get("content", ""), str):
            raise JelaiError(400, "A message's content must be a string.", f"{field}.content")


def filter_models(models: list[str], body: bytes) -> bytes:
    """A tags or ps listing without the models the allowlist leaves out."""
    if not models:
        return body
    try:
        listing = json.loads(body)
        entries = listing["models"]
        listing["models"] = [
            m for m in entries if model_allowed(models, m.get("model") or m.get("name", ""))
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return body  # not a listing: pass it on as Ollama sent it
    return json.dumps(listing).encode()


def error_line(message: str) -> bytes:
    """An NDJSON line in Ollama's mid-stream error shape."""
    return json.dumps({"error": message}).encode() + b"\n"


class ProxyCall:
    """One browser request relayed to the model server."""

    def __init__(
        self,
        cfg: JelaiTutor,
        upstreams: Upstreams,
        method: str,
        path: str,
        payload: Any,
        on_exchange: Callable[[list[tuple[str, dict[str, Any]]]], None] | None = None,
        assignment: Assignment | None = None,
        reference: str | list[str] | None = None,
    ) -> None:
        self.endpoint = check_endpoint(path, method)
        self.models = list(cfg.models)
        body = rewrite_body(cfg, self.endpoint, payload) if method == "POST" else None
        # A chat's prompt, completed with the course's instructions.
        self.prompt: CompletedChat | None = None
        self.exchange = None
        # What the student may get of a chat reply (guardrails.py), held to the
        # merged pedagogy's rules and to `reference` whatever the mode.
        self.guard: ReplyGuard | None = None
        if self.endpoint == "chat" and body is not None:
            self.prompt = complete_chat(cfg, body, assignment, cfg.context_fit().budget)
            body = self.prompt.body
            self.exchange = Exchange.for_prompt(self.prompt)
            self.guard = ReplyGuard.for_prompt(self.prompt.pedagogy, payload, reference)
        self._on_exchange = on_exchange
        # The model asked for, once checked (None for a listing).
        model = body.get("model") if body is not None else None
        self.model: str | None = model if isinstance(model, str) else None
        self._upstream = route(cfg, upstreams, method, self.endpoint, body)
        self._ended = False
        self._done = False
        # The model's last line (with its token counts), once it came.
        self.last_line: dict[str, Any] | None = None
        # The model's own prompt count, when the student gets another (staff only).
        self.model_prompt_tokens: int | None = None
        self.status = 502
        self.content_type = "application/json"

    @property
    def streaming(self) -> bool:
        return self.status == 200 and "ndjson" in self.content_type

    @property
    def stopped(self) -> bool:
        return self._upstream.stopped

    async def start(self) -> None:
        """Sends the request and waits for the reply's status line."""
        try:
            self.status, self.content_type = await self._upstream.open()
        except UpstreamError as err:
            self._end("failed", err.message)
            raise JelaiError(err.status, err.message) from None

    async def lines(self) -> AsyncIterator[bytes]:
        """The streamed reply, one NDJSON line at a time (each ends with a newline)."""
        pending = b""
        try:
            async for data in self._upstream.chunks():
                pending += data
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    if line.strip():
                        line = self._public(line)
                        for out in self._guarded(line):
                            yield out
                        self._observe(line)
            if pending.strip():
                pending = self._public(pending)
                for out in self._guarded(pending):
                    yield out
                self._observe(pending)
            if not self._ended and not self._done and not self._upstream.stopped:
                # Without its last line the browser's client cannot tell what happened.
                raise UpstreamError(502, "The model server ended the reply early.")
        except UpstreamError as err:
            if not self._upstream.stopped:
                self._end("failed", err.message)
                yield error_line(err.message)
        finally:
            self._upstream.close()
            self._end("finished" if self._done else "failed", "The reply was cut off.")

    async def read_body(self) -> bytes:
        """The whole reply, for endpoints that do not stream."""
        try:
            body = b"".join([data async for data in self._upstream.chunks()])
        except UpstreamError as err:
            self._end("failed", err.message)
            raise JelaiError(err.status, err.message) from None
        finally:
            self._upstream.close()
        if self.status == 200 and self.endpoint in MODEL_LISTS:
            body = filter_models(self.models, body)
        if self.endpoint in WITH_OPTIONS:
            body = self._public(body)
            self._observe(body)  # an unstreamed reply is one object
            if self.guard is not None and self.status == 200:
                body = self.guard.whole(body)
            self._end("finished" if self._done else "failed", f"HTTP {self.status}")
        return body

    def stop(self) -> None:
        """The browser went away or stopped: close the upstream request."""
        self._end("stopped", None)
        self._upstream.stop()

    def _public(self, line: bytes) -> bytes:
        """A line of the model's reply with the counts the student may have: the
        model's own when the prompt has no hidden layer, else those the page was
        told (`instructor_share.public_counts`)."""
        prompt = self.prompt
        if prompt is None or not prompt.hidden or not any(m in line for m in _COUNT_MARKS):
            return line
        try:
            item = json.loads(line)
        except ValueError:
            return line
        if not isinstance(item, dict):
            return line
        public = public_counts(item, prompt.tokens)
        if public is item:
            return line
        count = item.get("prompt_eval_count")
        if isinstance(count, int) and not isinstance(count, bool):
            self.model_prompt_tokens = count
        return json.dumps(public, separators=(",", ":"), ensure_ascii=False).encode()

    def _guarded(self, line: bytes) -> list[bytes]:
        """What the browser gets of one line of the reply."""
        if self.guard is None:
            return [line + b"\n"]
        out = self.guard.relay(line)
        if self.guard.stopped and not self._upstream.stopped:
            # The reply was giving the solution away: the model stops, and the
            # reply is over for the student (its last line was the guard's).
            self._done = True
            self._upstream.stop()
        return out

    def _observe(self, line: bytes) -> None:
        try:
            item = json.loads(line)
        except ValueError:
            return
        if not isinstance(item, dict):
            return
        if self.exchange:
            self.exchange.feed(item)
        if "error" in item:
            self._end("failed", str(item["error"]))
        elif item.get("done"):
            self._done = True
            self.last_line = item
            self._end("finished", None)

    def _end(self, status: str, error: str | None) -> None:
        if self._ended:
            return
        self._ended = True
        if self.exchange and self._on_exchange:
            data = self.exchange.end(status, error)
            if self.model_prompt_tokens is not None:
                data["model_prompt_eval_count"] = self.model_prompt_tokens
            records = self.guard.records(data) if self.guard else [("chat.exchange", data)]
            self._on_exchange(records)
