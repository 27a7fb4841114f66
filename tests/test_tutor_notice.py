"""The instructor's notice (`c.JelaiTutor.notice`) reaches the tutor panel
through `GET /jelai/config`, standalone and from the course's service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets.config import Config

from jelai.config import JelaiTutor, tutor_public_config

# The course's service in the test's loop, the hub's token check stood in for.
from tests.test_gateway_admission import Service, service, start_service  # noqa: F401

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
def service_options() -> list[str]:
    return [f"--JelaiTutor.notice={NOTICE}"]


async def test_the_course_service_gives_its_notice(service: Service) -> None:  # noqa: F811
    request = HTTPRequest(service.url("config"), headers={"Authorization": "token ana"})
    config = json.loads((await AsyncHTTPClient().fetch(request)).body)
    assert config["tutor"]["notice"] == NOTICE


def test_no_notice_by_default() -> None:
    assert tutor_public_config(JelaiTutor())["notice"] == ""
