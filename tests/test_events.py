"""Validation of posted batches, the instructor's policy, and server-made events."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jelai.config import JelaiTelemetry
from jelai.record.events import (
    KNOWN_TYPES,
    BatchTooLarge,
    EventError,
    new_event,
    utc_time,
    validate_batch,
    validate_event,
)
from jelai.record.policy import apply_policy, keep_ends

EventFactory = Callable[..., dict[str, Any]]

CLIPBOARD = {"text": "x = 1\ny = 2", "length": 11, "lines": 2}
# A valid `data` for every type the browser sends.
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "notebook.open": {"cells": 3},
    "notebook.close": {},
    "notebook.save": {"cells": 3},
    "notebook.visible": {},
    "notebook.hidden": {},
    "notebook.scroll": {"first_visible": 0, "last_visible": 4},
    "cell.activate": {"previous": None},
    "cell.add": {},
    "cell.remove": {"source": "x = 1"},
    "cell.move": {"from_index": 0, "to_index": 2},
    "cell.edit": {"source": "x = 12", "length": 6, "delta": 1},
    "cell.execute": {
        "source": "1/0",
        "success": False,
        "execution_count": 4,
        "duration_ms": 12.5,
        "error": {"name": "ZeroDivisionError", "value": "division by zero", "traceback": []},
        "outputs": [{"output_type": "error"}],
    },
    "clipboard.copy": CLIPBOARD,
    "clipboard.cut": CLIPBOARD,
    "clipboard.paste": CLIPBOARD,
    "kernel.restart": {},
    "kernel.interrupt": {},
}


def rejected(body: Any, max_events: int = 100) -> EventError:
    with pytest.raises(EventError) as info:
        validate_batch(body, max_events)
    return info.value


@pytest.mark.parametrize("kind", sorted(SAMPLE_DATA))
def test_every_browser_event_type_is_accepted(kind: str, make_event: EventFactory) -> None:
    assert kind in KNOWN_TYPES
    event = make_event(kind, data=SAMPLE_DATA[kind])
    assert validate_batch({"events": [event]}, 10) == [event]


def test_types_from_other_plugins_are_accepted(make_event: EventFactory) -> None:
    event = make_event("myplugin.badge_earned", data={"anything": [1, 2]}, cell=None, kernel=None)
    assert validate_batch({"events": [event]}, 10) == [event]


def test_an_empty_batch_is_valid() -> None:
    assert validate_batch({"events": []}, 10) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [([], None), ({}, "events"), ({"events": {}}, "events"), ({"events": [], "x": 1}, "x")],
)
def test_a_body_that_is_not_a_batch_is_refused(body: Any, field: str | None) -> None:
    error = rejected(body)
    assert error.field == field
    assert isinstance(error, ValueError)


def test_a_badly_spelled_type_names_the_field(make_event: EventFactory) -> None:
    error = rejected({"events": [make_event(), make_event("Cell Execute")]})
    assert error.field == "events[1].type"
    assert "Cell Execute" in error.message


def test_a_missing_id_names_the_field(make_event: EventFactory) -> None:
    event = make_event()
    del event["id"]
    error = rejected({"events": [make_event(), event]})
    assert (error.field, error.message) == ("events[1].id", "is required")


@pytest.mark.parametrize("time", ["yesterday", "2024-02-30T10:00:00Z", "2024-03-01 10:00:00"])
def test_a_bad_time_names_the_field(time: str, make_event: EventFactory) -> None:
    error = rejected({"events": [make_event(time=time)]})
    assert error.field == "events[0].time"
    assert "ISO 8601" in error.message


def test_a_wrong_cell_index_type_names_the_field(make_event: EventFactory) -> None:
    events = [make_event() for _ in range(3)]
    events.append(make_event(cell={"id": "c", "index": "3", "type": "code"}))
    error = rejected({"events": events})
    assert error.field == "events[3].cell.index"
    assert str(error).startswith("events[3].cell.index: ")


def test_a_user_in_the_payload_is_refused(make_event: EventFactory) -> None:
    error = rejected({"events": [make_event(user="someone-else")]})
    assert error.field == "events[0].user"
    assert "server" in error.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session": "page\x00"}, "events[0].session"),
        ({"notebook": "lab\x00.ipynb"}, "events[0].notebook"),
        ({"kernel": {"id": "k\x00", "name": "python3"}}, "events[0].kernel.id"),
        ({"cell": {"id": "\x00", "index": 0, "type": "code"}}, "events[0].cell.id"),
        (
            {"data": {"success": False, "error": {"name": "Key\x00Error", "value": ""}}},
            "events[0].data.error.name",
        ),
    ],
)
def test_text_the_store_keeps_in_columns_may_not_hold_a_nul(
    changes: dict[str, Any], field: str, make_event: EventFactory
) -> None:
    # PostgreSQL cannot store the character: refused here, on every database alike.
    error = rejected({"events": [make_event(**changes)]})
    assert (error.field, error.message) == (field, "must not contain the NUL character (U+0000)")
    # Elsewhere in data it is text like any other (the JSON escapes it).
    kept = make_event(data={"source": "a\x00b", "success": True})
    assert validate_batch({"events": [kept]}, 10) == [kept]


def test_data_of_a_known_type_is_checked(make_event: EventFactory) -> None:
    error = rejected({"events": [make_event(data={"source": "x"})]})
    assert (error.field, error.message) == ("events[0].data.success", "is required")
    error = rejected({"events": [make_event("cell.move", data={"from_index": -1, "to_index": 0})]})
    assert error.field == "events[0].data.from_index"


def test_an_oversize_batch_is_refused(make_event: EventFactory) -> None:
    events = [make_event() for _ in range(11)]
    with pytest.raises(BatchTooLarge) as info:
        validate_batch({"events": events}, 10)
    assert info.value.field == "events"
    assert "at most 10" in info.value.message
    assert validate_batch({"events": events[:10]}, 10) == events[:10]


def policy(**settings: Any) -> JelaiTelemetry:
    return JelaiTelemetry(**settings)


def test_policy_keeps_an_event_unchanged_by_default(make_event: EventFactory) -> None:
    event = make_event("cell.execute", data=SAMPLE_DATA["cell.execute"])
    assert apply_policy(event, policy()) == event


def test_policy_drops_everything_when_telemetry_is_off(make_event: EventFactory) -> None:
    assert apply_policy(make_event(), policy(enabled=False)) is None


def test_policy_drops_types_not_enabled(make_event: EventFactory) -> None:
    only_runs = policy(event_types=["cell.execute"])
    assert apply_policy(make_event("cell.edit", data={"source": "x"}), only_runs) is None
    assert apply_policy(make_event(), only_runs) is not None


def test_policy_strips_source_outputs_and_clipboard_text(make_event: EventFactory) -> None:
    quiet = policy(log_source=False, log_outputs=False, log_clipboard=False)
    run = apply_policy(make_event(data=copy.deepcopy(SAMPLE_DATA["cell.execute"])), quiet)
    assert run is not None
    assert "source" not in run["data"] and "outputs" not in run["data"]
    # What the tutor needs to help with an error stays.
    assert run["data"]["error"]["name"] == "ZeroDivisionError"
    edit = apply_policy(make_event("cell.edit", data=SAMPLE_DATA["cell.edit"]), quiet)
    assert edit is not None and edit["data"] == {"length": 6, "delta": 1}
    paste = apply_policy(make_event("clipboard.paste", data=CLIPBOARD), quiet)
    assert paste is not None and paste["data"] == {"length": 11, "lines": 2}


def test_policy_cuts_long_text_and_says_which(make_event: EventFactory) -> None:
    data = {
        "source": "s" * 50,
        "success": False,
        "error": {"name": "E", "value": "v" * 50, "traceback": ["short", "t" * 50]},
        "outputs": [{"output_type": "stream", "text": "o" * 50}, {"output_type": "error"}],
        "truncated": ["outputs[0].text"],  # the browser already cut this one
    }
    event = make_event(data=data)
    original = copy.deepcopy(event)
    kept = apply_policy(event, policy(max_text_length=10))
    assert event == original  # the input is not changed
    assert kept is not None
    assert kept["data"]["source"] == "s" * 10
    assert kept["data"]["error"]["traceback"] == ["short", "t" * 10]
    assert kept["data"]["truncated"] == [
        "outputs[0].text",
        "source",
        "error.value",
        "error.traceback[1]",
    ]
    validate_event(kept)


def test_policy_keeps_the_first_and_last_outputs(make_event: EventFactory) -> None:
    # A loop printing 50 lines, each line its own output: the last one matters.
    outputs = [{"output_type": "stream", "text": f"line {i + 1}\n"} for i in range(50)]
    kept = apply_policy(
        make_event(data={"success": True, "outputs": outputs}), policy(max_outputs=5)
    )
    assert kept is not None
    assert kept["data"]["outputs"] == [
        *outputs[:2],
        {"output_type": "omitted", "omitted": 45},
        *outputs[-3:],
    ]
    assert kept["data"]["truncated"] == ["outputs"]
    validate_event(kept)
    # What the browser kept is not cut again; a client that kept more is.
    assert apply_policy(kept, policy(max_outputs=5)) == kept
    again = apply_policy(kept, policy(max_outputs=3))
    assert again is not None
    assert again["data"]["outputs"] == [
        outputs[0],
        {"output_type": "omitted", "omitted": 47},
        *outputs[-2:],
    ]


def test_policy_keeps_one_output_as_the_last(make_event: EventFactory) -> None:
    outputs = [{"output_type": "stream", "text": str(i)} for i in range(3)]
    kept = apply_policy(
        make_event(data={"success": True, "outputs": outputs}), policy(max_outputs=1)
    )
    assert kept is not None
    assert kept["data"]["outputs"] == [{"output_type": "omitted", "omitted": 2}, outputs[2]]


def test_policy_keeps_the_beginning_and_end_of_long_text(make_event: EventFactory) -> None:
    text = "\n".join(f"step {i + 1}" for i in range(3000)) + "\nDone: 3000 steps\n"
    traceback = ["Traceback (most recent call last):", *["  frame"] * 500, "ValueError: bad"]
    data = {
        "success": False,
        "error": {"name": "ValueError", "value": "bad", "traceback": ["\n".join(traceback)]},
        "outputs": [{"output_type": "stream", "text": text}],
    }
    kept = apply_policy(make_event(data=data), policy(max_text_length=200))
    assert kept is not None
    out = kept["data"]["outputs"][0]["text"]
    assert len(out) <= 200
    assert out.startswith("step 1\nstep 2\n")
    assert out.endswith("step 3000\nDone: 3000 steps\n")
    omitted = int(re.search(r"\[\.\.\. (\d+) characters omitted \.\.\.\]", out)[1])
    assert len(out) - len(f"\n[... {omitted} characters omitted ...]\n") == len(text) - omitted
    assert kept["data"]["error"]["traceback"][0].endswith("ValueError: bad")
    assert kept["data"]["truncated"] == ["error.traceback[0]", "outputs[0].text"]
    assert apply_policy(kept, policy(max_text_length=200)) == kept


def test_keep_ends_matches_the_browser_on_the_same_text() -> None:
    # src/telemetry/__tests__/events.spec.ts cuts the same text the same way.
    assert keep_ends("abcdefghij" * 5, 30) == "abcdefghij" * 3
    assert keep_ends("x" * 100, 60) == "x" * 13 + "\n[... 74 characters omitted ...]\n" + "x" * 13


def test_new_event_is_a_valid_envelope() -> None:
    a = new_event("example.server_event", {"answer": 42}, session="server")
    b = new_event(
        "example.server_event",
        {},
        session="s",
        notebook="lab1.ipynb",
        cell={"id": "c1", "index": 2, "type": "code"},
        kernel={"id": "k", "name": "python3"},
    )
    for event in (a, b):
        validate_event(event)
        assert uuid.UUID(event["id"]).version == 4
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"])
    assert a["id"] != b["id"]
    assert (a["notebook"], a["cell"], b["notebook"]) == (None, None, "lab1.ipynb")


def test_new_event_refuses_what_the_schema_refuses() -> None:
    with pytest.raises(EventError) as info:
        new_event("Chat", {}, session="s")
    assert info.value.field == "type"


def test_times_are_normalised_to_utc_milliseconds() -> None:
    assert utc_time("2024-03-01T12:00:00.123456+02:00") == "2024-03-01T10:00:00.123Z"
    assert utc_time("2024-03-01T10:00:00Z") == "2024-03-01T10:00:00.000Z"


@given(st.datetimes(timezones=st.just(timezone.utc)))
def test_a_time_already_in_utc_milliseconds_is_kept_as_sent(moment: datetime) -> None:
    sent = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert utc_time(sent) == sent
    assert validate_time(sent) == []


@pytest.mark.parametrize(
    "sent", ["2024-02-30T10:00:00.000Z", "2023-02-29T10:00:00.000Z", "2024-13-01T10:00:00.000Z"]
)
def test_a_time_in_utc_milliseconds_that_does_not_exist_is_refused(sent: str) -> None:
    with pytest.raises(ValueError):
        utc_time(sent)
    assert validate_time(sent) == ["time"]


def test_a_leap_second_in_utc_milliseconds_is_accepted_and_clamped() -> None:
    assert utc_time("2016-12-31T23:59:60.500Z") == "2016-12-31T23:59:59.500Z"
    assert validate_time("2016-12-31T23:59:60.500Z") == []


def validate_time(time: str) -> list[str]:
    """The fields refused in an event sent at `time`."""
    event = {
        "schema_version": 1,
        "id": str(uuid.uuid4()),
        "time": time,
        "session": "s",
        "type": "cell.add",
        "data": {},
    }
    try:
        validate_event(event)
    except EventError as error:
        return [str(error.field)]
    return []


def test_a_browser_cannot_forge_a_chat_exchange(make_event: EventFactory) -> None:
    forged = make_event("chat.exchange", data={"model": "m", "reply": "hi", "status": "finished"})
    with pytest.raises(EventError) as caught:
        validate_batch({"events": [make_event("cell.add"), forged]}, 10)
    assert caught.value.field == "events[1].type"
    assert "recorded by the server" in caught.value.message
