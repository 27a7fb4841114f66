"""`/jelai/ollama/api/<endpoint>` of a standalone server: the model gateway
(`gateway/handler.py`) with the exchanges kept in the server's own store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import tornado.web

from ..gateway.handler import ModelProxy
from ..gateway.upstreams import Upstreams
from ..store import EventStore
from .base import JelaiHandler

if TYPE_CHECKING:
    from ..config import JelaiTelemetry, JelaiTutor


class OllamaProxyHandler(ModelProxy, JelaiHandler):
    """`/jelai/ollama/api/<endpoint>` of a standalone server: exchanges in its own store."""

    @property
    def tutor_config(self) -> JelaiTutor:  # type: ignore[override]
        return self.jelai.tutor

    @property
    def upstreams(self) -> Upstreams:  # type: ignore[override]
        return self.jelai.upstreams

    @property
    def exchange_store(self) -> EventStore | None:  # type: ignore[override]
        return self.jelai.store

    @property
    def exchange_user(self) -> str:  # type: ignore[override]
        return self.user_name

    @property
    def recording_policy(self) -> JelaiTelemetry:  # type: ignore[override]
        return self.jelai.telemetry

    def read_body(self, max_bytes: int) -> Any:
        return self.json_body(max_bytes)

    @tornado.web.authenticated
    async def get(self, path: str) -> None:
        await self.relay("GET", path)

    @tornado.web.authenticated
    async def post(self, path: str) -> None:
        await self.relay("POST", path)

    @tornado.web.authenticated
    async def delete(self, path: str) -> None:
        await self.relay("DELETE", path)
