"""Notebook paths of jupyter-collaboration (`RTC:<path>`) are plain paths
wherever they reach the server: events posted and read, the tutor's
instructions, the model proxy's header, analytics, both exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from traitlets.config import Config

from jelai.cli import main
from jelai.record.paths import plain_event, plain_notebook, plain_path
from jelai.store import EventStore
from tests.fake_ollama import FakeOllama

EventFactory = Callable[..., dict[str, Any]]
Fetch = Callable[..., Any]
PLAIN = "course/lab 1.ipynb"
RTC = f"RTC:{PLAIN}"


@pytest.fixture
def jp_server_config(jp_server_config: Config, fake: FakeOllama) -> Config:
    jp_server_config.JelaiTutor.ollama_url = fake.url
    jp_server_config.JelaiTutor.models = ["llama3.1:8b"]
    return jp_server_config


def test_the_collaborative_drive_is_taken_off_once_at_the_start() -> None:
    assert plain_path(RTC) == PLAIN
    assert plain_path("RTC:RTC:a.ipynb") == "a.ipynb"
    assert plain_path("notes/RTC:a.ipynb") == "notes/RTC:a.ipynb"
    assert plain_path("rtc:a.ipynb") == "rtc:a.ipynb"  # another drive's name is kept
    assert (plain_notebook(None), plain_notebook("")) == (None, "")
    event = {"type": "notebook.rename", "notebook": RTC, "data": {"from": "RTC:old.ipynb"}}
    assert plain_event(event) == {
        "type": "notebook.rename",
        "notebook": PLAIN,
        "data": {"from": "old.ipynb"},
    }
    assert event["notebook"] == RTC  # the posted event is not changed
    plain = {"type": "cell.edit", "notebook": PLAIN, "data": {}}
    assert plain_event(plain) is plain


async def events_of(jp_fetch: Fetch, notebook: str, **params: str) -> list[dict[str, Any]]:
    response = await jp_fetch("jelai", "events", params={"notebook": notebook, **params})
    return json.loads(response.body)["events"]


async def test_posted_events_are_stored_and_read_under_the_plain_path(
    jp_fetch: Fetch, make_event: EventFactory
) -> None:
    events = [
        make_event("cell.edit", notebook=RTC, data={}),
        make_event("notebook.rename", notebook=RTC, cell=None, data={"from": "RTC:old.ipynb"}),
    ]
    body = json.dumps({"events": events})
    await jp_fetch("jelai", "events", method="POST", body=body)
    for asked in (PLAIN, RTC):
        found = await events_of(jp_fetch, asked)
        assert [(e["type"], e["notebook"]) for e in found] == [
            ("cell.edit", PLAIN),
            ("notebook.rename", PLAIN),
        ]
        assert found[1]["data"]["from"] == "old.ipynb"


async def test_the_tutor_finds_tutor_md_of_a_collaborative_notebook(
    jp_fetch: Fetch, jp_root_dir: Path
) -> None:
    (jp_root_dir / "course").mkdir()
    (jp_root_dir / "course" / "TUTOR.md").write_text("# Lab 1\n", encoding="utf-8")
    response = await jp_fetch("jelai", "tutor", "instructions", params={"notebook": RTC})
    assert json.loads(response.body)["assignment"]["path"] == "course/TUTOR.md"


async def test_a_chat_exchange_is_recorded_under_the_plain_path(jp_fetch: Fetch) -> None:
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "Why?"}]}
    headers = {"X-Jelai-Notebook": quote(RTC, safe=""), "X-Jelai-Session": "page-1"}
    await jp_fetch(
        "jelai", "ollama", "api", "chat", method="POST", body=json.dumps(body), headers=headers
    )
    [exchange] = await events_of(jp_fetch, PLAIN, type="chat.exchange")
    assert exchange["notebook"] == PLAIN


async def test_analytics_and_the_download_filter_by_the_plain_path(
    jp_fetch: Fetch, jp_serverapp: Any, make_event: EventFactory
) -> None:
    store = jp_serverapp.web_app.settings["jelai"].store
    user = json.loads((await jp_fetch("jelai", "config")).body)["user"]
    store.add(user, [make_event(notebook=PLAIN), make_event(notebook="other.ipynb")])
    response = await jp_fetch("jelai", "analytics", params={"notebook": RTC})
    [me] = json.loads(response.body)["students"]
    assert [n["notebook"] for n in me["notebooks"]] == [PLAIN]
    response = await jp_fetch("jelai", "export", params={"format": "csv", "notebook": RTC})
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [row["notebook"] for row in rows] == [PLAIN]


def test_the_export_command_filters_by_the_plain_path(
    tmp_path: Path, make_event: EventFactory
) -> None:
    store = EventStore(tmp_path / "data" / "events.sqlite3")
    store.add("ana", [make_event(notebook=PLAIN), make_event(notebook="other.ipynb")])
    store.close()
    args = ["--data-dir", tmp_path / "data", "--out", tmp_path / "out", "--notebook", RTC]
    assert main(["export", *map(str, args)]) == 0
    lines = (tmp_path / "out" / "events.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["notebook"] for line in lines] == [PLAIN]
