"""Sends one checked request to the upstream that should answer it.

`route()` gives `ProxyCall` an object that behaves like one `Upstream`
request (`open`, `chunks`, `stop`, `close`, `stopped`) whatever is behind
it: the upstream chosen by the rule of `upstreams.py`, with failover; an
OpenAI-compatible server's reply translated into Ollama's (`openai.py`);
or the model listing merged from every upstream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from .openai import ChatReply, UnsupportedRequest, chat_request, dumps, error_message, model_entries
from .upstream import Unreachable, Upstream, UpstreamError, log
from .upstreams import Upstreams, UpstreamSpec, configured, full_name

if TYPE_CHECKING:
    from ..config import JelaiTutor

NDJSON = "application/x-ndjson"
JSON = "application/json"
GENERATING = ("chat", "generate")  # the endpoints that take a place on an upstream
LISTINGS = ("tags", "ps")


class Reply(Protocol):
    """One request to a model server, as `ProxyCall` drives it."""

    @property
    def stopped(self) -> bool: ...

    async def open(self) -> tuple[int, str]: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def route(
    cfg: JelaiTutor,
    upstreams: Upstreams,
    method: str,
    endpoint: str,
    body: dict[str, Any] | None,
) -> Reply:
    """The request for Ollama's `/api/<endpoint>` with `body` (already checked)."""
    specs = configured(cfg)
    if endpoint in LISTINGS:
        return Listing(cfg, upstreams, specs, endpoint)
    return Failover(cfg, upstreams, specs, method, endpoint, body)


def _upstream(
    cfg: JelaiTutor,
    upstreams: Upstreams,
    spec: UpstreamSpec,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> Upstream:
    headers = spec.request_headers(cfg.headers)
    if spec.api == "openai":
        headers.setdefault("Accept", "text/event-stream, application/json")
    return Upstream(
        spec.base_url,
        path,
        method,
        None if body is None else json.dumps(body).encode(),
        upstreams.idle,
        headers=headers,
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
        name=spec.label,
    )


class Failover:
    """A request to one upstream that serves its model, the next one if that
    one cannot be reached or answers 5xx (see `upstreams.py` for the rule)."""

    def __init__(
        self,
        cfg: JelaiTutor,
        upstreams: Upstreams,
        specs: list[UpstreamSpec],
        method: str,
        endpoint: str,
        body: dict[str, Any] | None,
    ) -> None:
        self._cfg, self._pool = cfg, upstreams
        self._method, self._endpoint, self._body = method, endpoint, body
        model = body.get("model") if body else None
        self._model = model if isinstance(model, str) else None
        self._specs, self._refusal = self._candidates(specs)
        self._reply: Reply | None = None
        self._held: UpstreamSpec | None = None
        self._stop_signal: asyncio.Future[None] | None = None
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def _candidates(
        self, specs: list[UpstreamSpec]
    ) -> tuple[list[UpstreamSpec], UpstreamError | None]:
        """The upstreams that may answer, or why none may."""
        model = self._model
        serving = [s for s in specs if model is None or s.serves(model)]
        if self._endpoint != "chat":
            # Only Ollama's own API has the other endpoints.
            ollama = [s for s in serving if s.api == "ollama"]
            if serving and not ollama:
                what = f'the model "{model}"' if model else "these model servers"
                return [], UpstreamError(
                    501,
                    f"/api/{self._endpoint} is not available for {what}: the OpenAI API "
                    "has no such endpoint.",
                )
            serving = ollama
        if not serving:
            return [], UpstreamError(404, f'model "{model}" not found on any model server here.')
        return serving, None

    async def open(self) -> tuple[int, str]:
        if self._refusal is not None:
            raise self._refusal
        tried: list[UpstreamSpec] = []
        errors: list[str] = []
        while True:
            spec = await self._choose(tried)
            if spec is None:
                break
            tried.append(spec)
            try:
                self._reply = reply = self._request(spec)
            except UpstreamError:
                self._release()
                raise
            try:
                status, kind = await reply.open()
            except Unreachable as error:
                self._failed(spec, error.message)
                errors.append(error.message)
                continue
            except UpstreamError as error:
                if not self._stopped:
                    self._failed(spec, error.message)
                raise
            if status < 500:
                self._pool.answered(spec)
            elif not self._stopped:
                log.warning("jelai: %s at %s answered HTTP %d.", spec.label, spec.address, status)
                self._failed(spec, f"HTTP {status}")
                serving, out = self._pool.order(self._specs, self._model, tried)
                if serving or out:
                    reply.close()
                    errors.append(f"{spec.label} answered HTTP {status}.")
                    continue
            return status, kind
        if self._stopped:
            raise UpstreamError(499, "The request was stopped.")
        raise UpstreamError(502, " ".join(errors) or "No model server could take the request.")

    def chunks(self) -> AsyncIterator[bytes]:
        assert self._reply is not None, "open() first"
        return self._reply.chunks()

    def stop(self) -> None:
        self._stopped = True
        if self._stop_signal is not None and not self._stop_signal.done():
            self._stop_signal.set_result(None)
        if self._reply is not None:
            self._reply.stop()
        self._release()

    def close(self) -> None:
        if self._reply is not None:
            self._reply.close()
        self._release()

    async def _choose(self, tried: list[UpstreamSpec]) -> UpstreamSpec | None:
        """The next upstream to try, with a place held for a generation."""
        generating = self._endpoint in GENERATING
        while not self._stopped:
            serving, out = self._pool.order(self._specs, self._model, tried)
            group = serving or out
            if not group:
                return None
            for spec in group:
                if not generating or self._pool.has_room(spec):
                    self._pool.take_turn()
                    if generating:
                        self._pool.hold(spec)
                        self._held = spec
                    return spec
            if self._stop_signal is None:
                self._stop_signal = asyncio.get_running_loop().create_future()
            if not await self._pool.room(self._cfg.read_timeout, self._stop_signal):
                if self._stopped:
                    return None
                raise UpstreamError(
                    503,
                    f'Every model server for "{self._model}" stayed busy for '
                    f"{self._cfg.read_timeout:g} s; ask again in a moment.",
                )
        return None

    def _request(self, spec: UpstreamSpec) -> Reply:
        body = self._body
        if body is not None and self._model is not None:
            body = {**body, "model": spec.name_for(self._model)}
        if spec.api == "ollama":
            return _upstream(
                self._cfg, self._pool, spec, self._method, f"api/{self._endpoint}", body
            )
        assert body is not None and self._model is not None  # only chat reaches here
        try:
            request = chat_request(body, body["model"])
        except UnsupportedRequest as error:
            raise UpstreamError(400, str(error)) from None
        upstream = _upstream(self._cfg, self._pool, spec, "POST", "chat/completions", request)
        return OpenAIChat(upstream, self._model, request["stream"])

    def _failed(self, spec: UpstreamSpec, error: str) -> None:
        self._pool.failed(spec, error, self._cfg.upstream_backoff)
        self._release()

    def _release(self) -> None:
        if self._held is not None:
            self._pool.release(self._held)
            self._held = None


class OpenAIChat:
    """A chat request to an OpenAI-compatible server, its reply read as Ollama's."""

    def __init__(self, upstream: Upstream, model: str, streaming: bool) -> None:
        self._upstream = upstream
        self._reply = ChatReply(model)
        self._streaming = streaming
        self._status = 0
        self._events = False

    @property
    def stopped(self) -> bool:
        return self._upstream.stopped

    async def open(self) -> tuple[int, str]:
        self._reply.started = time.monotonic()
        self._status, kind = await self._upstream.open()
        if self._status != 200:
            return self._status, JSON
        self._events = "text/event-stream" in kind
        return 200, NDJSON if self._streaming else JSON

    async def chunks(self) -> AsyncIterator[bytes]:
        if self._events:
            try:
                async for data in self._upstream.chunks():
                    for line in self._reply.feed(data):
                        yield dumps(line)
            except UpstreamError:
                # A server may drop the connection right after its last event
                # (llama.cpp's when a generation is cut short): the reply is whole.
                if not self._reply.finished:
                    raise
                return
            if not self.stopped:
                for line in self._reply.end():
                    yield dumps(line)
            return
        body = b"".join([data async for data in self._upstream.chunks()])
        if self._status == 200:
            yield dumps(self._reply.whole(body))
        else:
            yield dumps({"error": error_message(self._status, body)})

    def stop(self) -> None:
        self._upstream.stop()

    def close(self) -> None:
        self._upstream.close()


class Listing:
    """`/api/tags` (or `/api/ps`) merged from the upstreams in service.

    Each upstream's models are narrowed to its `models` setting; a model
    several upstreams serve is listed once. An OpenAI-compatible server
    answers `/v1/models` and runs nothing `/api/ps` could show. When every
    upstream fails, the answer is the first failure.
    """

    def __init__(
        self, cfg: JelaiTutor, upstreams: Upstreams, specs: list[UpstreamSpec], endpoint: str
    ) -> None:
        self._cfg, self._pool, self._endpoint = cfg, upstreams, endpoint
        self._specs = specs if endpoint == "tags" else [s for s in specs if s.api == "ollama"]
        self._asking: list[Upstream] = []
        self._body = b""
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    async def open(self) -> tuple[int, str]:
        serving, out = self._pool.order(self._specs, None)
        asked = sorted(serving or out, key=self._specs.index)
        results = await asyncio.gather(*(self._ask(spec) for spec in asked))
        if self._stopped:
            raise UpstreamError(499, "The request was stopped.")
        models: dict[str, dict[str, Any]] = {}
        failures: list[tuple[int, str, bytes]] = []
        errors: list[str] = []
        answered = not asked
        for spec, result in zip(asked, results):
            if isinstance(result, str):
                errors.append(result)
            elif result[0] != 200:
                failures.append(result)
            else:
                answered = True
                for entry in self._entries(spec, result[2]):
                    name = entry.get("model") or entry.get("name") or ""
                    models.setdefault(full_name(str(name)), entry)
        if answered:
            self._body = json.dumps({"models": list(models.values())}).encode()
            return 200, JSON
        if failures:
            status, kind, self._body = failures[0]
            return status, kind
        raise UpstreamError(502, " ".join(errors))

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def stop(self) -> None:
        self._stopped = True
        for upstream in self._asking:
            upstream.stop()

    def close(self) -> None:
        for upstream in self._asking:
            upstream.close()

    async def _ask(self, spec: UpstreamSpec) -> tuple[int, str, bytes] | str:
        """The upstream's listing (status, type, body), or why it gave none."""
        path = f"api/{self._endpoint}" if spec.api == "ollama" else "models"
        upstream = _upstream(self._cfg, self._pool, spec, "GET", path, None)
        self._asking.append(upstream)
        try:
            status, kind = await upstream.open()
            body = b"".join([data async for data in upstream.chunks()])
        except UpstreamError as error:
            if not self._stopped:
                self._pool.failed(spec, error.message, self._cfg.upstream_backoff)
            return error.message
        finally:
            upstream.close()
        if status >= 500:
            log.warning("jelai: %s at %s answered HTTP %d.", spec.label, spec.address, status)
            self._pool.failed(spec, f"HTTP {status}", self._cfg.upstream_backoff)
        else:
            self._pool.answered(spec)
        if status != 200 and spec.api == "openai" and spec.models and status < 500:
            # A server without a model list: the configured names stand for it.
            return 200, JSON, json.dumps({"data": [{"id": m} for m in spec.models]}).encode()
        return status, kind, body

    def _entries(self, spec: UpstreamSpec, body: bytes) -> list[dict[str, Any]]:
        try:
            if spec.api == "openai":
                entries = model_entries(body)
            else:
                entries = [e for e in json.loads(body).get("models") or [] if isinstance(e, dict)]
        except (ValueError, AttributeError):
            return []
        if spec.models:
            wanted = {full_name(m) for m in spec.models}
            entries = [
                e for e in entries if full_name(str(e.get("model") or e.get("name"))) in wanted
            ]
        return entries
