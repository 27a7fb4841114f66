"""`/jelai/config` and `/jelai/events` as the browser uses them."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse
from traitlets.config import Config

from jelai.record.events import parse_time, utc_time
from jelai.server.app import JelaiContext
from tests.log_records import Records

EventFactory = Callable[..., dict[str, Any]]
Fetch = Callable[..., Any]


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.JelaiTelemetry.max_batch_events = 50
    jp_server_config.JelaiTelemetry.max_body_bytes = 100_000
    jp_server_config.JelaiTutor.ollama_url = "http://ollama.internal:11434"
    jp_server_config.JelaiTutor.headers = {"Authorization": "Bearer s3cret-key"}
    jp_server_config.JelaiTutor.models = ["llama3.1:8b", "qwen2.5:7b"]
    return jp_server_config


@pytest.fixture
def make_event(make_event: EventFactory) -> EventFactory:
    """Events as a browser sends them now: the shared factory's, an hour ago
    and a second apart (the server moves times far from its clock)."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    count = itertools.count()

    def build(type: str = "cell.execute", **fields: Any) -> dict[str, Any]:
        fields.setdefault("time", utc_time(start + timedelta(seconds=next(count))))
        return make_event(type, **fields)

    return build


@pytest.fixture
def context(jp_serverapp: Any) -> JelaiContext:
    return jp_serverapp.web_app.settings["jelai"]


async def post(jp_fetch: Fetch, body: Any) -> HTTPResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return await jp_fetch("jelai", "events", method="POST", body=text)


async def refused(request: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await request
    response = info.value.response
    assert response is not None
    return info.value.code, json.loads(response.body)


async def stored(jp_fetch: Fetch, **params: Any) -> list[dict[str, Any]]:
    response = await jp_fetch("jelai", "events", params={"notebook": "lab1.ipynb", **params})
    return json.loads(response.body)["events"]


async def test_config_tells_the_browser_what_is_logged_and_hides_secrets(
    jp_fetch: Fetch, jelai_data_dir: Path
) -> None:
    response = await jp_fetch("jelai", "config")
    config = json.loads(response.body)
    assert set(config) == {"user", "data_dir", "service", "version", "telemetry", "tutor"}
    assert config["service"] is False  # standalone: this server keeps the record
    assert config["user"]
    assert config["data_dir"] == str(jelai_data_dir)
    assert config["telemetry"] == {
        "enabled": True,
        "event_types": None,
        "log_source": True,
        "log_outputs": True,
        "log_clipboard": True,
        "max_text_length": 2000,
        "max_outputs": 5,
    }
    assert config["tutor"]["default_model"] == "llama3.1:8b"
    assert config["tutor"]["models"] == ["llama3.1:8b", "qwen2.5:7b"]
    text = response.body.decode()
    assert "ollama.internal" not in text and "s3cret" not in text


async def test_posted_events_come_back_with_the_server_decided_user(
    jp_fetch: Fetch, make_event: EventFactory
) -> None:
    user = json.loads((await jp_fetch("jelai", "config")).body)["user"]
    events = [make_event(), make_event("cell.edit", data={"source": "x"})]
    elsewhere = make_event(notebook="lab2.ipynb")
    response = await post(jp_fetch, {"events": [*events, elsewhere]})
    assert json.loads(response.body) == {"stored": 3, "duplicates": 0, "dropped": 0}
    found = await stored(jp_fetch)
    assert [{k: v for k, v in e.items() if k != "received"} for e in found] == [
        {**event, "user": user} for event in events
    ]


async def test_query_by_time_limit_and_type(jp_fetch: Fetch, make_event: EventFactory) -> None:
    events = [make_event(), make_event("cell.edit", data={}), make_event(), make_event()]
    await post(jp_fetch, {"events": events})
    ids = [e["id"] for e in events]
    assert [e["id"] for e in await stored(jp_fetch, limit=2)] == ids[2:]
    assert [e["id"] for e in await stored(jp_fetch, since=events[0]["time"])] == ids[1:]
    assert [e["id"] for e in await stored(jp_fetch, type="cell.edit")] == [ids[1]]


async def test_a_retried_batch_is_not_stored_twice(
    jp_fetch: Fetch, make_event: EventFactory
) -> None:
    batch = {"events": [make_event() for _ in range(3)]}
    await post(jp_fetch, batch)
    response = await post(jp_fetch, batch)
    assert json.loads(response.body) == {"stored": 0, "duplicates": 3, "dropped": 0}
    assert len(await stored(jp_fetch)) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cell": {"id": "c", "index": "two"}}, "events[2].cell.index"),
        ({"user": "someone-else"}, "events[2].user"),
        ({"time": "last tuesday"}, "events[2].time"),
    ],
)
async def test_a_bad_event_rejects_the_whole_batch(
    jp_fetch: Fetch, make_event: EventFactory, change: dict[str, Any], field: str
) -> None:
    batch = {"events": [make_event(), make_event(), make_event(**change)]}
    code, body = await refused(post(jp_fetch, batch))
    assert code == 400
    assert body["field"] == field
    assert body["error"]
    assert await stored(jp_fetch) == []


async def test_a_body_that_is_not_json_is_refused(jp_fetch: Fetch) -> None:
    code, body = await refused(post(jp_fetch, "{not json"))
    assert code == 400 and "JSON" in body["error"]


async def test_too_large_requests_are_refused(jp_fetch: Fetch, make_event: EventFactory) -> None:
    big = make_event(data={"source": "x" * 100_000, "success": True})
    code, body = await refused(post(jp_fetch, {"events": [big]}))
    assert code == 413 and "100000 bytes" in body["error"]
    code, body = await refused(post(jp_fetch, {"events": [make_event() for _ in range(51)]}))
    assert (code, body["field"]) == (413, "events")
    assert await stored(jp_fetch) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "notebook"),
        ({"notebook": "lab1.ipynb", "since": "soon"}, "since"),
        ({"notebook": "lab1.ipynb", "limit": "0"}, "limit"),
        ({"notebook": "lab1.ipynb", "limit": "10001"}, "limit"),
        ({"notebook": "lab1.ipynb", "limit": "ten"}, "limit"),
    ],
)
async def test_a_bad_query_names_the_field(
    jp_fetch: Fetch, params: dict[str, str], field: str
) -> None:
    code, body = await refused(jp_fetch("jelai", "events", params=params))
    assert (code, body["field"]) == (400, field)


async def test_only_the_current_users_events_are_returned(
    jp_fetch: Fetch, context: JelaiContext, make_event: EventFactory
) -> None:
    theirs = make_event()
    context.store.add("someone-else", [theirs])
    mine = make_event()
    await post(jp_fetch, {"events": [mine]})
    assert [e["id"] for e in await stored(jp_fetch)] == [mine["id"]]


async def test_the_instructors_policy_is_enforced_by_the_server(
    jp_fetch: Fetch, context: JelaiContext, make_event: EventFactory
) -> None:
    context.telemetry.event_types = ["cell.execute"]
    context.telemetry.log_source = False
    batch = {"events": [make_event(), make_event("cell.edit", data={"source": "x"})]}
    response = await post(jp_fetch, batch)
    assert json.loads(response.body) == {"stored": 1, "duplicates": 0, "dropped": 1}
    (run,) = await stored(jp_fetch)
    assert run["type"] == "cell.execute" and "source" not in run["data"]


async def test_with_telemetry_off_batches_are_accepted_and_dropped(
    jp_fetch: Fetch, context: JelaiContext, make_event: EventFactory
) -> None:
    context.telemetry.enabled = False
    response = await post(jp_fetch, {"events": [make_event(), make_event()]})
    assert json.loads(response.body) == {"stored": 0, "duplicates": 0, "dropped": 2}
    assert await stored(jp_fetch) == []


async def test_an_unwritable_data_dir_answers_503_and_the_retry_succeeds(
    jp_fetch: Fetch, jelai_data_dir: Path, make_event: EventFactory
) -> None:
    # A file where the data folder should be: unwritable for every account, root too.
    jelai_data_dir.write_text("in the way")
    batch = {"events": [make_event(), make_event()]}
    code, body = await refused(post(jp_fetch, batch))
    assert code == 503
    assert f"jelai cannot write to {jelai_data_dir}" in body["error"]
    code, _ = await refused(jp_fetch("jelai", "events", params={"notebook": "lab1.ipynb"}))
    assert code == 503
    jelai_data_dir.unlink()
    response = await post(jp_fetch, batch)
    assert json.loads(response.body) == {"stored": 2, "duplicates": 0, "dropped": 0}
    assert len(await stored(jp_fetch)) == 2


@pytest.mark.parametrize(
    "sent",
    [
        "9999-12-31T23:59:59.999Z",
        "0001-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00.000Z",
        "+1 hours",
        "-400 days",
    ],
)
async def test_a_time_far_from_the_servers_clock_is_kept_beside_the_receipt_time(
    jp_fetch: Fetch, make_event: EventFactory, sent: str
) -> None:
    now = datetime.now(timezone.utc)
    if sent[0] in "+-":
        amount, unit = sent[1:].split()
        shift = timedelta(**{unit: int(amount)})
        sent = utc_time(now + shift if sent[0] == "+" else now - shift)
    good, odd = make_event(), make_event("cell.edit", data={}, time=sent)
    # The whole batch is stored: a browser drops a refused batch, good events too.
    response = await post(jp_fetch, {"events": [good, odd]})
    assert json.loads(response.body)["stored"] == 2
    first, second = await stored(jp_fetch)
    assert (first["time"], "client_time" in first) == (good["time"], False)
    assert second["client_time"] == sent
    assert now <= parse_time(second["time"]) <= parse_time(second["received"])
    # The class activity chart spans the hour of the good event and now, not years.
    analytics = json.loads((await jp_fetch("jelai", "analytics")).body)
    starts = [parse_time(b["start"]) for b in analytics["series"]["activity"]]
    assert max(starts) - min(starts) <= timedelta(hours=2)


async def test_times_inside_the_window_are_kept_as_sent(
    jp_fetch: Fetch, make_event: EventFactory
) -> None:
    now = datetime.now(timezone.utc)
    times = [now - timedelta(days=364), now + timedelta(minutes=9)]
    events = [make_event("cell.edit", data={}, time=utc_time(t)) for t in times]
    await post(jp_fetch, {"events": events})
    found = await stored(jp_fetch)
    assert [(e["time"], "client_time" in e) for e in found] == [(utc_time(t), False) for t in times]


async def test_a_browser_cannot_send_the_servers_client_time(
    jp_fetch: Fetch, make_event: EventFactory
) -> None:
    event = {**make_event(), "client_time": "2024-03-01T10:00:00.000Z"}
    code, body = await refused(post(jp_fetch, {"events": [event]}))
    assert (code, body["field"]) == (400, "events[0].client_time")
    assert "set by the server" in body["error"]


async def test_a_refused_request_is_one_line_in_the_servers_log(
    jp_fetch: Fetch, jp_serverapp: Any
) -> None:
    log: logging.Logger = jp_serverapp.log
    kept = Records()
    log.addHandler(kept)
    try:
        for notebook in ("../outside.ipynb", "lab\x00.ipynb"):
            code, _ = await refused(
                jp_fetch("jelai", "tutor", "instructions", params={"notebook": notebook})
            )
            assert code == 400
    finally:
        log.removeHandler(kept)
    # No traceback, no "Uncaught exception": the access log's line says it all.
    assert not [r for r in kept.records if r.exc_info or "Uncaught" in r.getMessage()]
    shown = [r.getMessage() for r in kept.records if r.levelno >= logging.INFO]
    assert len(shown) == 2, shown
    assert all(m.startswith("400 GET ") and "/jelai/tutor/instructions?" in m for m in shown)
