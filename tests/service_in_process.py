"""The course's service in the test's own event loop, for tests that need no
JupyterHub: the hub's answer to "whose token is this" is stood in for (the
token is the user's name). tests/hub/ runs the service under a real hub.

    @pytest.fixture
    def start_service(jp_asyncio_loop, fake, tmp_path, monkeypatch):
        with services(jp_asyncio_loop, monkeypatch, tmp_path / "events.sqlite3", fake) as start:
            yield start          # `await start([...options])` -> a started Service
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyterhub.services.auth import HubOAuth
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from jelai.service import app as service_app
from jelai.service.app import JelaiServiceApp
from tests.fake_ollama import FakeOllama

PREFIX = "/services/jelai/"
GUARD = 15  # seconds; only keeps a broken gateway from hanging the suite


class HubStandIn(HubOAuth):
    """The hub's token check, stood in for: the token is the user's name."""

    async def _check_hub_authorization(
        self, url: str, api_token: str, cache_key: str | None = None, use_cache: bool = True
    ) -> dict[str, Any]:
        return {"kind": "user", "name": api_token, "groups": [], "scopes": []}


class Service:
    """The service on a loopback port, and its store and settings."""

    def __init__(self, store: Path, fake: FakeOllama, options: list[str]) -> None:
        self.app = JelaiServiceApp()
        self.app.initialize(
            [
                f"--JelaiService.store_url=sqlite:///{store}",
                "--JelaiService.instructors",
                "teacher",
                f"--JelaiTutor.ollama_url={fake.url}",
                *options,
            ]
        )
        self.server: HTTPServer | None = None
        self.port = 0

    async def start(self) -> None:
        await self.app.prepare()
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server = HTTPServer(self.app.make_app())
        self.server.add_sockets(sockets)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            await self.server.close_all_connections()
        self.app.store.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}{path}"

    async def fetch(self, user: str, path: str, **kwargs: Any) -> HTTPResponse:
        """`path` under the service as `user` (any status; HTTPRequest's keywords)."""
        request = HTTPRequest(
            self.url(path),
            headers={"Authorization": f"token {user}", **kwargs.pop("headers", {})},
            request_timeout=GUARD,
            **kwargs,
        )
        return await AsyncHTTPClient().fetch(request, raise_error=False)

    async def events(self, user: str, kind: str) -> list[dict[str, Any]]:
        response = await self.fetch(user, f"events?notebook=lab.ipynb&type={kind}")
        assert response.code == 200, response.body
        return json.loads(response.body)["events"]


@contextmanager
def services(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch, store: Path, fake: FakeOllama
) -> Iterator[Callable[[list[str]], Awaitable[Service]]]:
    """Starts services over one `store` (a second one is the first restarted)
    with the hub stood in for, and stops every one of them at the end."""
    monkeypatch.setattr(service_app, "HubOAuth", HubStandIn)
    started: list[Service] = []

    async def start(options: list[str]) -> Service:
        service = Service(store, fake, options)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        loop.run_until_complete(service.stop())
