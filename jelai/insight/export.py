"""Research export: events (chat exchanges included) as JSONL and flat CSV.

Rows are read from the stores read-only, student after student and each
one's oldest first, filtered by notebook and time, and optionally
pseudonymised (see `pseudonyms.py`). Each event gains `notebook_current`
(see `iter_events`). The CSV has one row per event: the envelope's fields,
then one `data.<field>` column per field the schemas define (see
`csv_columns`), then `data.other` with any other fields as a JSON object.
Text and numbers are written as they are, except that text a spreadsheet
would run as a formula is neutralised (`spreadsheet_safe`), true/false as
`true`/`false`, null as an empty cell, and objects and arrays (an error,
outputs, chat messages) as JSON. docs/export.md says the same for
researchers.

Nothing here knows about tornado; `cli.py` and `insight_handlers.py` call it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from ..record.events import parse_time, utc_time
from ..store.tables import events
from .datadict import load_schema
from .renames import read_lineage
from .sources import Source, reading

ENVELOPE_COLUMNS = (
    "schema_version",
    "id",
    "time",
    "received",
    "client_time",
    "user",
    "session",
    "notebook",
    "notebook_current",
    "kernel_id",
    "kernel_name",
    "type",
    "cell_id",
    "cell_index",
    "cell_type",
)
# What starts a formula in a spreadsheet that opens a CSV file: OWASP's CSV
# Injection page (owasp.org/www-community/attacks/CSV_Injection) lists =, +,
# -, @, tab and carriage return; OWASP ASVS 5.0 requirement 1.2.10 adds NUL.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    Each event gains `notebook_current`: the path of the notebook it belongs
    to now, renames followed (see `renames.py`); `notebook` stays as
    recorded. A notebook filter keeps the events recorded under that path
    and those of the notebook now at that path.
    """
    for source in sources:
        with reading(source) as conn:
            if conn is None:
                continue
            lineage = read_lineage(conn)
            paths = None
            if filters.notebook is not None:
                paths = sorted(lineage.paths_of(filters.notebook))
            for text in conn.execute(_query(source, filters, paths)).scalars():
                event = json.loads(text)
                notebook = event.get("notebook")
                current = notebook
                if lineage:
                    # The stored spelling of the time, as the renames' times are.
                    moment = utc_time(event["time"])
                    current = lineage.current(str(event.get("user")), notebook, moment)
                if filters.notebook not in (None, notebook, current):
                    continue  # a path that was this notebook's, at another time
                event = _with_current(event, current)
                if source.owner is not None:
                    event["user"] = source.owner
                yield event


def _with_current(event: dict[str, Any], current: str | None) -> dict[str, Any]:
    """The event with `notebook_current` right after `notebook`."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        out[key] = value
        if key == "notebook":
            out["notebook_current"] = current
    out.setdefault("notebook_current", current)
    return out


def export_users(sources: Iterable[Source]) -> list[str]:
    """The users whose events the sources hold: the names a pseudonymised
    export replaces wherever they appear (see `pseudonyms.py`)."""
    users: set[str] = set()
    for source in sources:
        if source.owner is not None:
            users.add(source.owner)
            continue
        with reading(source) as conn:
            if conn is not None:
                found = conn.execute(sa.select(events.c.user).distinct()).scalars()
                users.update(user for user in found if user not in source.exclude)
    return sorted(users)


def _query(source: Source, filters: Filters, paths: list[str] | None) -> sa.Select[Any]:
    """The events of `source` within the filters' times, under `paths` (any if None)."""
    e = events.c
    query = sa.select(e.event)
    if source.user is not None:
        query = query.where(e.user == source.user)
    if source.exclude:
        query = query.where(e.user.not_in(source.exclude))
    if paths is not None:
        query = query.where(e.notebook.in_(paths))
    if filters.since is not None:
        query = query.where(e.time >= filters.since)
    if filters.until is not None:
        query = query.where(e.time < filters.until)
    # seq keeps events of the same millisecond in the order they arrived.
    return query.order_by(e.user, e.time, e.seq)


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


def spreadsheet_safe(text: str) -> str:
    """Text as a spreadsheet shows it without running it as a formula.

    A value starting with one of `FORMULA_STARTS` gets an apostrophe in
    front, as OWASP advises: `=HYPERLINK(...)` is written `'=HYPERLINK(...)`.
    Other text is unchanged.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """One value as a CSV cell: the only way jelai writes a CSV cell.

    Text goes through `spreadsheet_safe`; numbers are written as they are
    (a spreadsheet reads `-3` as the number, not a formula), booleans as
    true/false, None as empty, objects and arrays as JSON (which starts with
    `{` or `[`).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return spreadsheet_safe(str(value))


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
    values = [csv_cell(flat[name]) for name in ENVELOPE_COLUMNS]
    values += [csv_cell(data.get(name)) for name in known]
    values.append(csv_cell(other) if other else "")
    return values


def csv_text(rows: Iterable[list[str]]) -> str:
    """CSV lines (RFC 4180, CRLF) for rows of `csv_cell` values (or the header)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def jsonl_line(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
