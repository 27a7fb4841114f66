"""An export as a download: JSONL or CSV, streamed in chunks as it is read.

Shared by a standalone server's `/jelai/export` (`insight_handlers.py`) and
the course service's `export` (`service/handlers.py`): the same query
arguments, the same files, the same pseudonyms. What is written is
`export.py`'s; this module only reads the request and streams.

Query arguments: `format` (`jsonl`, the default, or `csv`), `since` and
`until` (a date or a date-time, UTC; `until` is exclusive for a date-time
and the end of the day for a date), `pseudonymise` (`1` replaces user names
with keyed pseudonyms, see `pseudonyms.py`: the research key for staff, a key
of the download's own for a student). The notebook filter is read by the
handler, which makes the path plain.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import tornado.web
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from ..errors import JelaiError
from ..insight.export import (
    Filters,
    csv_columns,
    csv_text,
    csv_values,
    iter_events,
    jsonl_line,
    parse_bound,
)
from ..insight.pseudonyms import Pseudonymiser, load_key, new_key
from ..insight.sources import Source
from ..record.events import utc_time
from ..record.staff import event_for_student

EXPORT_CHUNK = 1000
CONTENT_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def export_request(
    argument: Callable[[str], str | None], notebook: str | None
) -> tuple[str, Filters]:
    """The format and filters a download asks for; a 400 JelaiError for a bad one.
    `argument(name)` is a query argument, None when absent."""
    kind = argument("format") or "jsonl"
    if kind not in CONTENT_TYPES:
        raise JelaiError(400, "format is jsonl or csv.", "format")
    bounds: dict[str, str | None] = {}
    for name in ("since", "until"):
        raw = argument(name) or None
        try:
            bounds[name] = None if raw is None else parse_bound(raw, end=name == "until")
        except ValueError as error:
            raise JelaiError(400, str(error), name) from None
    return kind, Filters(notebook=notebook, **bounds)


def wants_pseudonyms(argument: Callable[[str], str | None]) -> bool:
    """Whether the download asks for pseudonyms (`pseudonymise=1`)."""
    return (argument("pseudonymise") or "0") not in ("", "0", "false")


def pseudonymiser_for(key_file: Path, names: list[str], *, staff: bool) -> Pseudonymiser:
    """A pseudonymiser replacing `names`. Staff get the research key in
    `key_file` (made if missing; a 503 JelaiError when it cannot be read or
    made), the key of `jelai export --key-file`. A student's download gets a
    key of its own: its pseudonyms hide names from whoever the student shares
    it with, and do not tell the student their pseudonym in the research data."""
    if not staff:
        return Pseudonymiser(new_key(), names)
    try:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Pseudonymiser(load_key(key_file), names)
    except (OSError, ValueError) as error:
        raise JelaiError(503, f"The pseudonymisation key cannot be read: {error}") from None


class Download(tornado.web.RequestHandler):
    """Streams an export; mixed in before a handler base that provides `reply`."""

    async def send_export(
        self,
        kind: str,
        sources: list[Source],
        filters: Filters,
        pseudonymiser: Pseudonymiser | None,
        *,
        staff: bool = False,
    ) -> None:
        """Writes the download, chunk by chunk, read off the IO loop; the fields
        only staff read are left out unless `staff`."""
        content_type = CONTENT_TYPES[kind]
        self.set_header("Content-Type", content_type)
        stamp = utc_time()[:10]
        self.set_header(
            "Content-Disposition", f'attachment; filename="jelai-events-{stamp}.{kind}"'
        )
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Accel-Buffering", "no")
        events = iter_events(sources, filters)
        loop = IOLoop.current()
        try:
            if kind == "csv":
                self.write(csv_text([csv_columns()]))
            while True:
                chunk = await loop.run_in_executor(
                    None, lambda: _chunk(events, kind, pseudonymiser, staff)
                )
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        except StreamClosedError:
            return  # the browser went away: stop reading
        finally:
            events.close()
        self.reply(b"", content_type)  # type: ignore[attr-defined]


def _chunk(
    events: Generator[dict[str, Any], None, None],
    kind: str,
    pseudonymiser: Pseudonymiser | None,
    staff: bool,
) -> str:
    """The next events of the download as text; '' when there are no more."""
    rows: list[Any] = []
    for event in events:
        if not staff:
            event = event_for_student(event)
        if pseudonymiser is not None:
            event = pseudonymiser.event(event)
        rows.append(jsonl_line(event) if kind == "jsonl" else csv_values(event))
        if len(rows) == EXPORT_CHUNK:
            break
    return "".join(rows) if kind == "jsonl" else csv_text(rows) if rows else ""
