"""The instructor's notice (`c.JelaiTutor.notice`) reaches the tutor panel
through `GET /jelai/config`, standalone and from the course's service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets.config import Config

from jelai.config import JelaiTutor, tutor_public_config
from tests.fake_ollama import FakeOllama
from tests.service_in_process import Service, services

Fetch = Callable[..., Any]
NOTICE = "A tiny demonstration model is answering; set OLLAMA_HOST for a real one."


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.JelaiTutor.notice = NOTICE
    return jp_server_config


async def test_the_browser_reads_the_notice(jp_fetch: Fetch) -> None:
    config = json.loads((await jp_fetch("jelai", "config")).body)
    assert config["tutor"]["notice"] == NOTICE


@pytest.fixture
def service(
    jp_asyncio_loop: asyncio.AbstractEventLoop,
    fake: FakeOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Service]:
    """The course's service in the test's loop, the hub's token check stood in for."""
    with services(jp_asyncio_loop, monkeypatch, tmp_path / "events.sqlite3", fake) as start:
        yield jp_asyncio_loop.run_until_complete(start([f"--JelaiTutor.notice={NOTICE}"]))


async def test_the_course_service_gives_its_notice(service: Service) -> None:
    request = HTTPRequest(service.url("config"), headers={"Authorization": "token ana"})
    config = json.loads((await AsyncHTTPClient().fetch(request)).body)
    assert config["tutor"]["notice"] == NOTICE


def test_no_notice_by_default() -> None:
    assert tutor_public_config(JelaiTutor())["notice"] == ""
