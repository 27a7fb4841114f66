"""The compiled validators never accept what the full JSON Schema validator refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jelai.record import events

VALID: dict[str, Any] = {
    "schema_version": 1,
    "id": "0b6f2a9e-1c1d-4c57-9f4e-2d7b4d1f0a11",
    "time": "2026-11-25T12:00:00.000Z",
    "session": "page-1",
    "notebook": "week1/lab.ipynb",
    "kernel": {"id": "k-1", "name": "python3"},
    "type": "cell.execute",
    "cell": {"id": "c-1", "index": 3, "type": "code"},
    "data": {
        "source": "basket['price']",
        "success": False,
        "execution_count": 4,
        "duration_ms": 12.5,
        "error": {"name": "KeyError", "value": "'price'", "traceback": ["..."]},
        "outputs": [{"output_type": "error", "text": "KeyError"}],
    },
}
PATHS = [
    ("schema_version",),
    ("id",),
    ("time",),
    ("session",),
    ("notebook",),
    ("kernel",),
    ("kernel", "id"),
    ("type",),
    ("cell",),
    ("cell", "index"),
    ("cell", "type"),
    ("data",),
    ("data", "success"),
    ("data", "execution_count"),
    ("data", "duration_ms"),
    ("data", "error"),
    ("data", "error", "name"),
    ("data", "outputs"),
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "cell.execute\n",
            "Cell.Execute",
            "2024-02-30T00:00:00Z",
            "2026-11-25T12:00:00Z",
            "2026-11-25 12:00",
            "code",
            "x" * 70,
        ]
    ),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _full_accepts(event: Any) -> bool:
    if not events._ENVELOPE.is_valid(event):
        return False
    data = events._DATA.get(event["type"])
    return data is None or data.is_valid(event["data"])


def _fast_accepts(event: Any) -> bool:
    if not events.passes(events._FAST_ENVELOPE, event):
        return False
    data = events._FAST_DATA.get(event["type"])
    return data is None or events.passes(data, event["data"])


@settings(max_examples=1500, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_the_fast_path_is_never_more_lenient(changes: list[tuple[tuple[str, ...], Any]]) -> None:
    event = copy.deepcopy(VALID)
    for path, value in changes:
        target = event
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                break
            target = target[key]
        else:
            target[path[-1]] = value
    if _fast_accepts(event):
        assert _full_accepts(event), event


def test_a_valid_event_takes_the_fast_path() -> None:
    assert _fast_accepts(VALID) and _full_accepts(VALID)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("type",), "cell.execute\n"),
        (("id",), "abcdefgh\n"),
        (("time",), "2024-02-30T00:00:00Z"),
        (("time",), "2026-11-25 12:00"),
        (("cell", "index"), -1),
        (("cell", "type"), "python"),
        (("schema_version",), 2),
        (("data", "success"), "no"),
        (("data", "error"), {"name": "KeyError"}),
        (("kernel", "extra"), 1),
    ],
)
def test_the_fast_path_refuses_what_the_schema_refuses(path: tuple[str, ...], value: Any) -> None:
    event = copy.deepcopy(VALID)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not _full_accepts(event)
    assert not _fast_accepts(event)
