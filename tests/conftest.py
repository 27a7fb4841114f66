"""Shared fixtures: a Jupyter server with jelai loaded, the fake Ollama, and event builders."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jelai.insight.sources import Source, class_sources, own_source, user_dir_name
from jelai.store import EventStore
from tests.fake_ollama import DEFAULT_MODELS, FakeOllama
from tests.postgres import Missing, PostgresServer
from tests.real_model import Missing as ModelMissing
from tests.real_model import RealModelServer

pytest_plugins = ("pytest_jupyter.jupyter_server",)

EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def jelai_data_dir(tmp_path: Path) -> Path:
    """Where the server under test keeps its store (not created in advance)."""
    return tmp_path / "jelai-data"


@pytest.fixture
def jp_server_config(jelai_data_dir: Path) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"jelai": True, "jupyter_server_terminals": False},
                # Every endpoint must authenticate; jupyter_server refuses the rest.
                "allow_unauthenticated_access": False,
            },
            "Jelai": {"data_dir": str(jelai_data_dir)},
        }
    )


@pytest.fixture
def fake_models() -> list[str]:
    """The models the fake Ollama has; a test module may override this fixture."""
    return list(DEFAULT_MODELS)


@pytest.fixture
def fake(
    jp_asyncio_loop: asyncio.AbstractEventLoop, fake_models: list[str]
) -> Iterator[FakeOllama]:
    """The fake Ollama, listening on a free port of the test's event loop."""
    server = FakeOllama(models=fake_models)

    async def start() -> None:
        server.listen()  # on the running loop, which serves it

    jp_asyncio_loop.run_until_complete(start())
    yield server
    jp_asyncio_loop.run_until_complete(server.stop())


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; a missing PostgreSQL fails the tests that need it."""
    try:
        server = PostgresServer()
    except Missing as error:
        pytest.fail(str(error), pytrace=False)
    try:
        server.start()
    except Missing as error:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealModelServer]:
    """The session's real model: llama.cpp's OpenAI-compatible server with SmolLM2
    (`base_url` ends in /v1, `model` is the name to ask for). A missing model
    fails the tests that need it; scripts/test.sh installs it."""
    log = tmp_path_factory.mktemp("real-model") / "server.log"
    try:
        server = RealModelServer(log_path=log).start()
    except ModelMissing as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


class Stores:
    """A class's stores on one backend: a class folder of SQLite files (one per
    student, as students' servers write them), or one PostgreSQL database
    holding every student (as the course's service keeps it)."""

    def __init__(self, url: str | None, folder: Path) -> None:
        self.url = url  # None: SQLite files under `folder`
        self.folder = folder

    @property
    def backend(self) -> str:
        return "sqlite" if self.url is None else "postgresql"

    def location(self, user: str) -> str | Path:
        """Where `user`'s events are written."""
        if self.url is None:
            return self.folder / user_dir_name(user) / "events.sqlite3"
        return self.url

    def add(self, user: str, events: list[dict[str, Any]]) -> tuple[int, int]:
        store = EventStore(self.location(user))
        try:
            return store.add(user, events)
        finally:
            store.close()

    def own(self, user: str) -> Source:
        """`user`'s own rows, as their server reads them."""
        store = EventStore(self.location(user))
        store.close()
        return own_source(store, user)

    def everyone(self) -> list[Source]:
        """The whole class, as an instructor reads it."""
        if self.url is None:
            return class_sources(self.folder)
        return [Source(path=None, owner=None, url=self.url)]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Stores]]:
    """Makes empty class stores on the test's backend (each call: a new folder or database)."""
    made: list[str] = []
    server: PostgresServer | None = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")

    def make() -> Stores:
        folder = tmp_path_factory.mktemp("class")
        if server is None:
            return Stores(None, folder)
        made.append(server.new_database())
        return Stores(made[-1], folder)

    yield make
    for url in made:
        assert server is not None
        server.drop_database(url)


@pytest.fixture
def stores(new_stores: Callable[[], Stores]) -> Stores:
    """Empty class stores on each backend."""
    return new_stores()


@pytest.fixture
def make_event() -> EventFactory:
    """Builds valid events; keyword arguments replace envelope fields.

    Times increase by one second per event unless given, so the order of
    creation is the order in time.
    """
    seconds = itertools.count()

    def build(type: str = "cell.execute", **fields: Any) -> dict[str, Any]:
        n = next(seconds)
        event: dict[str, Any] = {
            "schema_version": 1,
            "id": str(uuid.uuid4()),
            "time": f"2024-03-01T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
            "session": "page-1",
            "notebook": "lab1.ipynb",
            "kernel": {"id": "k-1", "name": "python3"},
            "type": type,
            "cell": {"id": "cell-a", "index": 0, "type": "code"},
            "data": {"source": "print(1)", "success": True} if type == "cell.execute" else {},
        }
        event.update(fields)
        return event

    return build
