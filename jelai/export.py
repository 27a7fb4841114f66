"""Research export: events (chat exchanges included) as JSONL and flat CSV.

Rows are read from the stores read-only, student after student and each
one's oldest first, filtered by notebook and time, and optionally
pseudonymised with a keyed HMAC (see `Pseudonymiser`). The CSV has one row per event: the envelope's
fields, then one `data.<field>` column per field the schemas define (see
`csv_columns`), then `data.other` with any other fields as a JSON object.
Text and numbers are written as they are, true/false as `true`/`false`,
null as an empty cell, and objects and arrays (an error, outputs, chat
messages) as JSON. docs/export.md says the same for researchers.

Nothing here knows about tornado; `cli.py` and `insight_handlers.py` call it.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .classdata import Source, reading
from .datadict import load_schema
from .events import parse_time, utc_time
from .store.tables import events

ENVELOPE_COLUMNS = (
    "schema_version",
    "id",
    "time",
    "received",
    "user",
    "session",
    "notebook",
    "kernel_id",
    "kernel_name",
    "type",
    "cell_id",
    "cell_index",
    "cell_type",
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A user's folder in a path: /home/<user>/, /Users/<user>/, C:\Users\<user>\.
_HOME_RE = re.compile(r"(?<![^/\\])(home|Users)([/\\]+)([^/\\\s\"'<>|:]+)")


@dataclass(frozen=True)
class Filters:
    """Which events to export; `until` is exclusive, None means no bound."""

    notebook: str | None = None
    since: str | None = None
    until: str | None = None


def parse_bound(value: str, *, end: bool) -> str:
    """A date or date-time given by a person, as a UTC bound for `Filters`.

    A bare date means the start of that day (UTC) for `since`, and the end of
    that day for `until`; ValueError if it is neither.
    """
    text = value.strip()
    try:
        if _DATE_RE.match(text):
            moment = parse_time(f"{text}T00:00:00Z")
            return utc_time(moment + timedelta(days=1) if end else moment)
        return utc_time(parse_time(text))
    except (ValueError, OverflowError):  # the day after 9999-12-31 does not exist
        raise ValueError(
            f"{value!r} is not a date (2024-03-01) or a date-time (2024-03-01T12:00:00Z)"
        ) from None


def iter_events(
    sources: Iterable[Source], filters: Filters
) -> Generator[dict[str, Any], None, None]:
    """The matching events, store after store, each store's oldest first.

    One store is open at a time, so a class of any size exports with a few
    file handles. Events of a class folder are attributed to its owner.
    """
    for source in sources:
        with reading(source) as conn:
            if conn is None:
                continue
            for text in conn.execute(_query(source, filters)).scalars():
                event = json.loads(text)
                if source.owner is not None:
                    event["user"] = source.owner
                yield event


def _query(source: Source, filters: Filters) -> sa.Select[Any]:
    e = events.c
    query = sa.select(e.event)
    if source.user is not None:
        query = query.where(e.user == source.user)
    if filters.notebook is not None:
        query = query.where(e.notebook == filters.notebook)
    if filters.since is not None:
        query = query.where(e.time >= filters.since)
    if filters.until is not None:
        query = query.where(e.time < filters.until)
    # seq keeps events of the same millisecond in the order they arrived.
    return query.order_by(e.user, e.time, e.seq)


def load_key(path: Path) -> bytes:
    """The pseudonymisation key in `path`, made (32 random bytes, mode 0600) if missing."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{path} does not hold a jelai key (hexadecimal)") from None
        if len(key) < 16:
            raise ValueError(f"{path} holds a key shorter than 16 bytes") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    return key


class Pseudonymiser:
    """Replaces user names with `p-` and 16 hex digits of HMAC-SHA256(key, name).

    The same key gives the same pseudonym in every export, so exports can be
    joined; without the key the names cannot be recovered or confirmed. Names
    are replaced in `user`, in folders of home paths (`/home/<name>/`,
    `/Users/<name>/`) anywhere in the event, and wherever the user's name is a
    folder of the notebook path. Names typed as free text (in a cell, in a
    chat question) are not found: pseudonymised is not anonymous.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._names: dict[str, str] = {}

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, so two exports can be matched."""
        return hmac.new(self._key, b"jelai key id", hashlib.sha256).hexdigest()[:12]

    def name(self, user: str) -> str:
        if user not in self._names:
            digest = hmac.new(self._key, user.encode("utf-8"), hashlib.sha256).hexdigest()
            self._names[user] = f"p-{digest[:16]}"
        return self._names[user]

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        user = str(event.get("user", ""))
        result = self._strings(event)
        if user:
            result["user"] = self.name(user)
            notebook = result.get("notebook")
            if isinstance(notebook, str):
                parts = re.split(r"([/\\])", notebook)
                result["notebook"] = "".join(self.name(p) if p == user else p for p in parts)
        return result

    def _strings(self, value: Any) -> Any:
        if isinstance(value, str):
            return _HOME_RE.sub(lambda m: m[1] + m[2] + self.name(m[3]), value)
        if isinstance(value, list):
            return [self._strings(item) for item in value]
        if isinstance(value, dict):
            return {key: self._strings(item) for key, item in value.items()}
        return value


@cache
def data_fields() -> tuple[str, ...]:
    """Every `data` field some event type of the schemas defines, sorted."""
    types = load_schema("types.v1.json")
    defs = types.get("$defs", {})
    names: set[str] = set()
    for spec in types["types"].values():
        ref = spec.get("$ref", "").rsplit("/", 1)[-1]
        names.update(defs.get(ref, {}).get("properties", {}))
        names.update(spec.get("properties", {}))
    return tuple(sorted(names))


def csv_columns() -> list[str]:
    """The CSV header: envelope, `data.<field>` for each schema field, `data.other`."""
    return [*ENVELOPE_COLUMNS, *(f"data.{name}" for name in data_fields()), "data.other"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def csv_values(event: dict[str, Any]) -> list[str]:
    """One event as the values of `csv_columns()`, in order."""
    kernel = event.get("kernel") or {}
    cell = event.get("cell") or {}
    data = event.get("data") or {}
    flat = {
        **{name: event.get(name) for name in ENVELOPE_COLUMNS},
        "kernel_id": kernel.get("id"),
        "kernel_name": kernel.get("name"),
        "cell_id": cell.get("id"),
        "cell_index": cell.get("index"),
        "cell_type": cell.get("type"),
    }
    known = data_fields()
    other = {key: value for key, value in data.items() if key not in known}
    values = [_cell(flat[name]) for name in ENVELOPE_COLUMNS]
    values += [_cell(data.get(name)) for name in known]
    values.append(_cell(other) if other else "")
    return values


def csv_text(rows: Iterable[list[str]]) -> str:
    """CSV lines (RFC 4180, CRLF) for the rows."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def jsonl_line(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
