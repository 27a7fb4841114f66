"""Event batches: validation against the JSON Schemas, and events built on the
server (chat exchanges); the instructor's policy is `policy.py`.

The schemas in `schemas/` are the single source of truth; validators are built
once at import. Nothing here knows about tornado.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from .fast_schema import compile_schema, passes

SCHEMA_VERSION = 1

# RFC 3339 date-time, checked here rather than through jsonschema's optional
# format extras so that validation never silently accepts a bad time.
_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


_UTC_MS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


def _is_real_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)  # month 13, February 30, second 60... are not
    except ValueError:
        return False
    return True


class EventError(ValueError):
    """A batch jelai refuses; `field` is the path of the first problem found."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


class BatchTooLarge(EventError):
    """More events in one batch than the server accepts."""


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time as an aware datetime; ValueError if it is not one."""
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time such as 2024-01-31T12:00:00Z")
    year, month, day, hour, minute, second, frac, z, sign, oh, om = match.groups()
    offset = timedelta(0) if z else timedelta(hours=int(oh), minutes=int(om))
    if sign == "-":
        offset = -offset
    micro = int((frac or "0")[:6].ljust(6, "0"))
    # datetime() checks the ranges (month 13, February 30...); leap seconds are clamped.
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        min(int(second), 59),
        micro,
        tzinfo=timezone(offset),
    )
    try:
        moment.astimezone(timezone.utc)  # every stored time is in UTC
    except OverflowError:
        raise ValueError(f"{value!r} is outside the years 1 to 9999 in UTC") from None
    return moment


def utc_time(value: str | datetime | None = None) -> str:
    """A time as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC: one spelling, so strings sort by time."""
    moment = datetime.now(timezone.utc) if value is None else value
    if isinstance(moment, str):
        # Browsers send this spelling already (`toISOString`): checked, kept.
        if _UTC_MS_RE.match(moment) and _is_real_time(moment):
            return moment
        moment = parse_time(moment)
    # isoformat, not strftime: it writes years before 1000 with four digits.
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def _load(name: str) -> dict[str, Any]:
    return json.loads(files("jelai").joinpath("schemas", name).read_text(encoding="utf-8"))


def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the `type` keyword reports non-strings
    if _UTC_MS_RE.match(value) and _is_real_time(value):  # what browsers send, checked cheaply
        return True
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time", raises=())(_is_time)


@functools.cache
def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    # In JSON Schema (ECMA-262) a final `$` matches only at the very end; in
    # Python it also matches before a final newline, which would let
    # "cell.execute\n" through as a type and skip its data schema.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterable[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})

ENVELOPE_SCHEMA = _load("event.v1.json")
TYPES_SCHEMA = _load("types.v1.json")
_BATCH = _Validator(
    {
        "type": "object",
        "required": ["events"],
        "additionalProperties": False,
        "properties": {"events": {"type": "array"}},
    }
)
_ENVELOPE = _Validator(ENVELOPE_SCHEMA, format_checker=_FORMATS)
_REGISTRY = Registry().with_resource(TYPES_SCHEMA["$id"], Resource.from_contents(TYPES_SCHEMA))
# One validator per known type, referring into the types document so that its
# `#/$defs/...` references resolve against it.
_DATA = {
    name: _Validator(
        {"$ref": f"{TYPES_SCHEMA['$id']}#/types/{name}"},
        registry=_REGISTRY,
        format_checker=_FORMATS,
    )
    for name in TYPES_SCHEMA["types"]
}
KNOWN_TYPES: frozenset[str] = frozenset(_DATA)
_FAST_ENVELOPE = compile_schema(ENVELOPE_SCHEMA, _is_time)
_FAST_DATA = {
    name: compile_schema({**spec, "$defs": TYPES_SCHEMA["$defs"]}, _is_time)
    for name, spec in TYPES_SCHEMA["types"].items()
}
# Types only the server records (the proxy's chat exchanges): a browser that
# sends one is forging the record.
SERVER_TYPES: frozenset[str] = frozenset(
    name for name, spec in TYPES_SCHEMA["types"].items() if spec.get("x-recorded-by") == "server"
)


def field_path(parts: Iterable[str | int]) -> str:
    """A field's path as error messages name it: `events[3].data.source`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _first_error(validator: Draft202012Validator, instance: Any, prefix: list[str | int]) -> None:
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return
    raise _explain(error, prefix)


def _explain(error: ValidationError, prefix: list[str | int]) -> EventError:
    path: list[str | int] = [*prefix, *error.absolute_path]
    message = error.message
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in error.instance]
        if missing:
            path.append(missing[0])
            message = "is required"
    elif error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = [key for key in error.instance if key not in known]
        if extra:
            path.append(extra[0])
            message = "is not a field the schema allows"
            if extra[0] in ("user", "received", "client_time"):
                message = "is set by the server and must not be sent"
    elif error.validator == "format":
        message = f"{error.instance!r} is not an ISO 8601 date-time such as 2024-01-31T12:00:00Z"
    elif error.validator == "pattern" and "\0" in str(error.instance):
        message = "must not contain the NUL character (U+0000)"
    elif error.validator == "pattern" and path[-1:] == ["type"]:
        message = f"{error.instance!r} is not a dotted lowercase type such as cell.execute"
    elif not path:
        message = 'the body must be a JSON object {"events": [...]}'
    return EventError(message, field_path(path) or None)


def validate_event(event: Any, where: Sequence[str | int] = ()) -> dict[str, Any]:
    """Checks one event: the envelope, then the `data` schema of its type if known."""
    prefix = list(where)
    if passes(_FAST_ENVELOPE, event):
        fast_data = _FAST_DATA.get(event["type"])
        if fast_data is None or passes(fast_data, event["data"]):
            return event
    # Refused (or in doubt): the full validator names what is wrong.
    _first_error(_ENVELOPE, event, prefix)
    validator = _DATA.get(event["type"])
    if validator is not None:
        _first_error(validator, event["data"], [*prefix, "data"])
    return event


def validate_batch(body: Any, max_events: int) -> list[dict[str, Any]]:
    """The events of a posted `{"events": [...]}`, or an EventError for the first problem.

    The whole batch is checked before anything is stored, so a rejected batch
    leaves nothing behind.
    """
    _first_error(_BATCH, body, [])
    events = body["events"]
    if len(events) > max_events:
        raise BatchTooLarge(
            f"{len(events)} events in one batch; the server accepts at most {max_events}.",
            "events",
        )
    for index, event in enumerate(events):
        kind = event.get("type") if isinstance(event, dict) else None
        if isinstance(kind, str) and kind in SERVER_TYPES:
            raise EventError(
                f"{kind} events are recorded by the server, not sent to it.",
                field_path(["events", index, "type"]),
            )
        validate_event(event, ["events", index])
    return events


def new_event(
    type: str,
    data: dict[str, Any],
    *,
    session: str,
    notebook: str | None = None,
    cell: dict[str, Any] | None = None,
    kernel: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A valid envelope made on the server (id, time); EventError if the parts are not."""
    event = {
        "schema_version": SCHEMA_VERSION,
        "id": str(uuid.uuid4()),
        "time": utc_time(),
        "session": session,
        "notebook": notebook,
        "kernel": kernel,
        "type": type,
        "cell": cell,
        "data": data,
    }
    return validate_event(event)
