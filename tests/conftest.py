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

from tests.fake_ollama import DEFAULT_MODELS, FakeOllama

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
