"""The guardrails through a real Jupyter server and the fake Ollama: what the
student's browser receives, on every route, and what the record keeps."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from traitlets.config import Config

from jelai.config import JelaiTutor
from jelai.gateway.fences import trim_note
from jelai.gateway.guardrails import LEAK_NOTE
from jelai.server.proxy_handler import OllamaProxyHandler
from jelai.store import EventStore
from tests.fake_ollama import FakeOllama, tokenize
from tests.ndjson import NdjsonStream, ndjson_lines, post_chat, reply_text

Fetch = Callable[..., Any]
NOTEBOOK = "week 2/stats.ipynb"
GUARD = 15  # seconds; only keeps a broken proxy from hanging the suite
ME = getpass.getuser()

SECRET_BLOCK = "\n".join(f"step_{i} = secret_{i}(data)" for i in range(1, 10))
LONG_REPLY = (
    "Here is a way to do it:\n\n```python\n" + SECRET_BLOCK + "\n```\n\nWhat does step 3 do?"
)
SOLUTION = """
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[middle - 1] + ordered[middle]) / 2
    return ordered[middle]
"""
RENAMED = SOLUTION.replace("values", "numbers").replace("ordered", "ranked")
LEAKY_REPLY = (
    "Sure, here is the whole function:\n\n```python\n"
    + RENAMED.strip()
    + "\n```\n\nThen call it on your list and compare with the expected result. "
    + "It works because sorting puts the middle value in the middle. " * 5
)


@pytest.fixture
def instructor() -> bool:
    """Whether the server's user is named an instructor (parametrize to change)."""
    return False


@pytest.fixture
def jp_server_config(jp_server_config: Config, fake: FakeOllama, instructor: bool) -> Config:
    jp_server_config.JelaiTutor.ollama_url = fake.url
    jp_server_config.JelaiTutor.max_code_lines = 3
    jp_server_config.Jelai.instructors = [ME] if instructor else ["teacher"]
    return jp_server_config


@pytest.fixture
def tutor(jp_serverapp: Any) -> JelaiTutor:
    return jp_serverapp.web_app.settings["jelai"].tutor


@pytest.fixture
def store(jp_serverapp: Any) -> EventStore:
    return jp_serverapp.web_app.settings["jelai"].store


async def ask(jp_fetch: Fetch, **fields: Any) -> bytes:
    """Asks the tutor through the server; every byte the browser receives."""
    body = {
        "model": "llama3.1:8b",
        "messages": [{"role": "user", "content": "How do I find the median?"}],
        **fields,
    }
    headers = {"X-Jelai-Notebook": quote(NOTEBOOK, safe=""), "X-Jelai-Session": "page-1"}
    reply = NdjsonStream() if fields.get("stream", True) else None
    response = await asyncio.wait_for(post_chat(jp_fetch, json.dumps(body), headers, reply), GUARD)
    return response.body if reply is None else reply.raw


def content_of(raw: bytes) -> str:
    lines = list(ndjson_lines(raw.splitlines()))
    assert lines[-1]["done"] is True
    return reply_text(lines)


async def student_reads(jp_fetch: Fetch) -> dict[str, bytes]:
    """What the student can read back of their record, by every route."""
    routes = {
        "history": ("events", {"notebook": NOTEBOOK, "type": "chat.exchange"}),
        "events": ("events", {"notebook": NOTEBOOK}),
        "jsonl": ("export", {}),
        "csv": ("export", {"format": "csv"}),
    }
    out = {}
    for name, (path, params) in routes.items():
        out[name] = (await jp_fetch("jelai", path, params=params)).body
    return out


async def test_the_cut_part_of_a_long_block_never_reaches_the_student(
    jp_fetch: Fetch, fake: FakeOllama, store: EventStore
) -> None:
    fake.configure(reply=LONG_REPLY)
    raw = await ask(jp_fetch)
    assert b"step_3" in raw
    for i in range(4, 10):
        assert f"secret_{i}".encode() not in raw
    shown = content_of(raw)
    assert shown == (
        "Here is a way to do it:\n\n```python\n"
        + "\n".join(SECRET_BLOCK.splitlines()[:3])
        + "\n```\n"
        + trim_note(6)
        + "\n\nWhat does step 3 do?"
    )

    # The student's history shows what they were shown; the cut part is nowhere.
    reads = await student_reads(jp_fetch)
    [exchange] = json.loads(reads["history"])["events"]
    assert exchange["data"]["reply"] == shown
    assert "model_reply" not in exchange["data"]
    for route, body in reads.items():
        assert b"secret_4" not in body, route
    kinds = [event["type"] for event in json.loads(reads["events"])["events"]]
    assert kinds == ["chat.exchange", "tutor.reply_trimmed"]
    trimmed = json.loads(reads["events"])["events"][1]
    assert trimmed["data"] == {
        "max_code_lines": 3,
        "blocks_trimmed": 1,
        "lines_removed": 6,
        "longest_block": 9,
        "exchange_id": exchange["id"],
    }
    assert trimmed["notebook"] == NOTEBOOK and trimmed["session"] == "page-1"

    # The record keeps the model's words for staff.
    [kept] = store.query(user=None, notebook=NOTEBOOK, types=["chat.exchange"])
    assert kept["data"]["model_reply"] == LONG_REPLY


async def test_the_notebooks_rules_can_only_tighten_the_courses(
    jp_fetch: Fetch, fake: FakeOllama, tutor: JelaiTutor
) -> None:
    fake.configure(reply=LONG_REPLY)
    strict = {"notebook": {"mode": "tutor", "max_code_lines": 1}}
    assert "step_2" not in content_of(await ask(jp_fetch, jelai=strict))
    loose = {
        "tutor_md": {"path": "TUTOR.md", "text": "---\nmode: assistant\nmax_code_lines: 40\n---\n"},
        "notebook": {"mode": "assistant", "max_code_lines": 40},
    }
    assert "secret_4" not in content_of(await ask(jp_fetch, jelai=loose))
    tutor.mode = "assistant"  # the course allows free help: the whole reply passes
    assert content_of(await ask(jp_fetch)) == LONG_REPLY


async def test_an_unstreamed_reply_is_cut_too(jp_fetch: Fetch, fake: FakeOllama) -> None:
    fake.configure(reply=LONG_REPLY)
    body = await ask(jp_fetch, stream=False)
    assert b"secret_4" not in body
    assert json.loads(body)["message"]["content"].endswith("What does step 3 do?")


async def test_a_reply_giving_the_solution_away_is_stopped_and_recorded(
    jp_fetch: Fetch, fake: FakeOllama, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OllamaProxyHandler, "reference_solution", lambda self: SOLUTION)
    # The fake holds after the code, as a model still writing: only a stop ends the reply.
    held = len(tokenize(LEAKY_REPLY.split("Then call")[0]))
    fake.configure(reply=LEAKY_REPLY, hold_after=held)
    raw = await ask(jp_fetch)
    record = fake.received("/api/chat")[0]
    await asyncio.wait_for(record.ended.wait(), GUARD)
    assert record.hung_up  # the model server was told to stop
    assert content_of(raw) == "Sure, here is the whole function:\n\n" + LEAK_NOTE
    assert b"sorted" not in raw and b"ranked" not in raw

    reads = await student_reads(jp_fetch)
    for route, body in reads.items():
        assert b"ranked" not in body, route
    events = json.loads(reads["events"])["events"]
    assert [e["type"] for e in events] == ["chat.exchange", "tutor.leak_blocked"]
    exchange, blocked = events
    assert exchange["data"]["status"] == "finished"
    assert exchange["data"]["reply"] == content_of(raw)
    # The student reads that a reply was held back, not how close it came.
    assert blocked["data"] == {"threshold": 0.6, "shingle": 8, "exchange_id": exchange["id"]}
    for route in ("history", "events", "jsonl"):
        assert b"reference_shingles" not in reads[route] and b'"share"' not in reads[route]
    rows = csv.DictReader(io.StringIO(reads["csv"].decode()))
    [row] = [row for row in rows if row["type"] == "tutor.leak_blocked"]
    assert row["data.threshold"] == "0.6" and row["data.share"] == ""
    assert row["data.reference_shingles"] == row["data.reproduced"] == row["data.region"] == ""
    [kept] = store.query(user=None, notebook=NOTEBOOK, types=["chat.exchange"])
    assert "sorted(numbers)" in kept["data"]["model_reply"]
    [staff] = store.query(user=None, notebook=NOTEBOOK, types=["tutor.leak_blocked"])
    assert staff["data"]["share"] >= staff["data"]["threshold"]
    assert staff["data"]["reference_shingles"] == staff["data"]["reproduced"] > 0


async def test_honest_code_passes_when_a_reference_is_set(
    jp_fetch: Fetch, fake: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OllamaProxyHandler, "reference_solution", lambda self: SOLUTION)
    honest = "Sorting helps:\n\n```python\nnames = sorted(names)\nprint(names[0])\n```\n\nWhy?"
    fake.configure(reply=honest)
    assert content_of(await ask(jp_fetch)) == honest


@pytest.mark.parametrize("instructor", [True])
async def test_an_instructors_download_keeps_what_the_model_wrote(
    jp_fetch: Fetch, fake: FakeOllama
) -> None:
    fake.configure(reply=LONG_REPLY)
    await ask(jp_fetch)
    body = (await jp_fetch("jelai", "export", params={"user": ME})).body
    exchange = next(e for e in map(json.loads, body.splitlines()) if e["type"] == "chat.exchange")
    assert exchange["data"]["model_reply"] == LONG_REPLY
    # Their own history in the tutor panel is what they were shown, as for anyone.
    history = (await student_reads(jp_fetch))["history"]
    assert b"secret_4" not in history
