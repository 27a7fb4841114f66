"""The model servers behind the gateway, and which one answers a request.

`c.JelaiTutor.upstreams` lists them; each serves some models (or any) and
speaks Ollama's API or OpenAI's. Without the setting there is one: the
Ollama server at `c.JelaiTutor.ollama_url`.

Which upstream answers (the rule the README states):
1. The candidates are the upstreams that serve the model asked for (by
   Ollama's rule, `name` means `name:latest`); for the model listing, all.
2. An upstream is *in service* unless it was taken out: it could not be
   connected to, answered with a 5xx status, or went silent before
   answering (`read_timeout`). It stays out for
   `upstream_backoff`, twice as long after each further failure in a
   row (at most `MAX_BACKOFF_FACTOR` times as long); then it is in service
   on trial, and its next answer below 500 puts it back for good.
3. Among those in service, the request goes to the one with the fewest
   requests in flight for its size (in flight divided by `max_concurrent`,
   the plain count where no limit is set); ties take turns.
4. An upstream at its `max_concurrent` is skipped; when every candidate in
   service is at its limit, the request waits for a free place, first come
   first served.
5. A request whose upstream cannot be connected to, or answers 5xx, goes to
   the next candidate; each is tried once. When no candidate is in service
   the ones taken out are tried anyway, the one due back soonest first, so
   a lone model server that restarts is used again at once.

What a student can read (an error, a `tutor.queued` event) names an
upstream by its label, "Model server <name>" (`name` in the setting, by
default its place in the list: "Model server 2"), or "The model server"
for the one `ollama_url`; never by its URL, which may hold credentials
(`http://user:key@host`) and says where the server is.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from .upstream import IdleConnections, address_of

if TYPE_CHECKING:
    from ..config import JelaiTutor

APIS = ("ollama", "openai")
FIELDS = ("name", "url", "api", "models", "api_key", "max_concurrent", "headers")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_BACKOFF_FACTOR = 32


def full_name(model: str) -> str:
    """Ollama's rule: a model name without a tag means `:latest`."""
    return model if ":" in model else f"{model}:latest"


@dataclass(frozen=True)
class UpstreamSpec:
    """One model server as configured: where, which API, which models."""

    url: str
    api: str = "ollama"
    models: tuple[str, ...] = ()  # empty: any model the server has
    api_key: str = ""
    max_concurrent: int = 0  # 0: no limit
    headers: tuple[tuple[str, str], ...] = ()
    # Its name in `c.JelaiTutor.upstreams` (by default its place there); ""
    # for the one `ollama_url`.
    name: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.api, self.url)

    @property
    def label(self) -> str:
        """What messages and events a student may read call it: never its URL."""
        return f"Model server {self.name}" if self.name else "The model server"

    @property
    def address(self) -> str:
        """Where it is, for the log only (no credentials)."""
        return address_of(self.url)

    @property
    def base_url(self) -> str:
        """The URL the API's paths are added to: OpenAI's `/v1` is implied
        when the URL has no path of its own."""
        if self.api == "openai" and urlsplit(self.url).path in ("", "/"):
            return self.url.rstrip("/") + "/v1"
        return self.url

    def serves(self, model: str) -> bool:
        return not self.models or full_name(model) in {full_name(m) for m in self.models}

    def name_for(self, model: str) -> str:
        """The model's name as this server spells it (its entry in `models`)."""
        wanted = full_name(model)
        return next((m for m in self.models if full_name(m) == wanted), model)

    def request_headers(self, common: dict[str, str]) -> dict[str, str]:
        """`c.JelaiTutor.headers`, then this upstream's own, then its key."""
        headers = {**common, **dict(self.headers)}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


def parse_upstreams(value: Any) -> list[UpstreamSpec]:
    """The upstreams of `c.JelaiTutor.upstreams`, or a ValueError saying what is wrong."""
    if not isinstance(value, (list, tuple)):
        raise ValueError("a list of upstreams is expected")
    specs = []
    for index, entry in enumerate(value):
        where = f"upstream {index + 1}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be a dict with at least a url")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise ValueError(f"{where} has unknown fields {unknown}; known: {list(FIELDS)}")
        url = entry.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"{where} needs a url starting with http:// or https://")
        api = entry.get("api", "ollama")
        if api not in APIS:
            raise ValueError(f"{where}: api must be one of {list(APIS)}, not {api!r}")
        models = entry.get("models", [])
        if not isinstance(models, (list, tuple)) or not all(isinstance(m, str) for m in models):
            raise ValueError(f"{where}: models must be a list of model names")
        api_key = entry.get("api_key", "")
        if not isinstance(api_key, str):
            raise ValueError(f"{where}: api_key must be a string")
        limit = entry.get("max_concurrent", 0)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"{where}: max_concurrent must be a whole number, 0 for no limit")
        name = entry.get("name", str(index + 1))
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(
                f"{where}: name must be 1 to 64 letters, digits, '.', '_' or '-' (not a URL:"
                " students read it)"
            )
        if any(s.name == name for s in specs):
            raise ValueError(f"{where}: the name {name!r} is taken by another upstream")
        headers = entry.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError(f"{where}: headers must map names to strings")
        spec = UpstreamSpec(
            url.rstrip("/"), api, tuple(models), api_key, limit, tuple(headers.items()), name
        )
        if any(s.key == spec.key for s in specs):
            raise ValueError(f"{where} repeats {api} at {address_of(url)}")
        specs.append(spec)
    return specs


def configured(cfg: JelaiTutor) -> list[UpstreamSpec]:
    """The upstreams the settings name: `upstreams`, else the Ollama at `ollama_url`."""
    if cfg.upstreams:
        return parse_upstreams(cfg.upstreams)
    return [UpstreamSpec(cfg.ollama_url.rstrip("/"))]


@dataclass
class _Health:
    """What the pool knows of one upstream."""

    in_flight: int = 0
    failures: int = 0  # in a row
    out_until: float = 0.0  # taken out until then (monotonic clock)
    last_error: str = ""


class Upstreams:
    """The model servers one process talks to: their kept connections, their
    health and the requests in flight on each. Shared by every student."""

    def __init__(
        self, idle: IdleConnections | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle = idle or IdleConnections()
        self._clock = clock
        self._health: dict[tuple[str, str], _Health] = {}
        self._turn = 0
        self._waiting: list[asyncio.Future[None]] = []

    def health(self, spec: UpstreamSpec) -> _Health:
        return self._health.setdefault(spec.key, _Health())

    def in_service(self, spec: UpstreamSpec) -> bool:
        return self.health(spec).out_until <= self._clock()

    def order(
        self, specs: Iterable[UpstreamSpec], model: str | None, tried: Iterable[UpstreamSpec] = ()
    ) -> tuple[list[UpstreamSpec], list[UpstreamSpec]]:
        """The candidates not yet tried: those in service, least loaded first
        (ties in turn), and those taken out, due back soonest first."""
        skip = {s.key for s in tried}
        candidates = [s for s in specs if s.key not in skip and (model is None or s.serves(model))]
        serving = [s for s in candidates if self.in_service(s)]
        out = sorted(
            (s for s in candidates if not self.in_service(s)),
            key=lambda s: self.health(s).out_until,
        )
        if serving:
            start = self._turn % len(serving)
            turn = {s.key: (i - start) % len(serving) for i, s in enumerate(serving)}
            serving.sort(key=lambda s: (self._load(s), turn[s.key]))
        return serving, out

    def has_room(self, spec: UpstreamSpec) -> bool:
        return not spec.max_concurrent or self.health(spec).in_flight < spec.max_concurrent

    def take_turn(self) -> None:
        """A request was given an upstream: the next tie goes to the next one."""
        self._turn += 1

    def hold(self, spec: UpstreamSpec) -> None:
        """Counts a generation in flight on `spec`."""
        self.health(spec).in_flight += 1

    @property
    def waiting(self) -> int:
        """How many requests wait for a place on a busy upstream."""
        return sum(1 for future in self._waiting if not future.done())

    def release(self, spec: UpstreamSpec) -> None:
        health = self.health(spec)
        health.in_flight = max(0, health.in_flight - 1)
        waiting, self._waiting = self._waiting, []
        for future in waiting:  # woken in the order they came; the first takes the place
            if not future.done():
                future.set_result(None)

    async def room(self, timeout: float, stopped: asyncio.Future[None]) -> bool:
        """Waits until a request in flight ends; False after `timeout` seconds or
        when `stopped` is done first."""
        freed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(freed)
        done, _ = await asyncio.wait(
            {freed, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if freed not in done:
            freed.cancel()
            if freed in self._waiting:
                self._waiting.remove(freed)
            return False
        return not stopped.done()

    def failed(self, spec: UpstreamSpec, error: str, retry_seconds: float) -> None:
        """Takes `spec` out of service for its back-off."""
        health = self.health(spec)
        health.failures += 1
        health.last_error = error
        factor = min(2 ** (health.failures - 1), MAX_BACKOFF_FACTOR)
        health.out_until = self._clock() + retry_seconds * factor

    def answered(self, spec: UpstreamSpec) -> None:
        """`spec` answered below 500: in service, its failures forgotten."""
        health = self.health(spec)
        health.failures, health.out_until, health.last_error = 0, 0.0, ""

    def _load(self, spec: UpstreamSpec) -> float:
        in_flight = self.health(spec).in_flight
        return in_flight / spec.max_concurrent if spec.max_concurrent else float(in_flight)
