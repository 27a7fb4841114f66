"""Quotas and the fair queue, as the gateway applies them to a generation.

A course's service shares one model server among a class; `Gate` holds
its quotas (`quota.py`) and queue (`queue.py`). `Admission` is the part of
`ModelProxy` (`handler.py`) that applies them to every generation
(`/api/chat`, `/api/generate`); a standalone server has no gate (one
person, nothing to share), and other endpoints pass as before.

1. The question is counted against the quotas, or refused with a 429
   whose body says why and when asking works again (`Retry-After`,
   `retry_at`); a `tutor.refused` event records it and nothing is sent on.
2. It takes a slot of its model's group of upstreams (`groups.py`), or
   waits its turn; a student holding their most slots at once
   (`c.JelaiService.max_generations_per_student`) waits too. While a streamed
   request waits, its answer begins (200, NDJSON) with a line
   `{"jelai": {"queue": {"position": N}}}` each time its place changes,
   and again every `heartbeat` seconds so that the relays and proxies in
   between do not give up on a quiet line. Ollama's clients hand such a
   line over as a chunk without `done` (the tutor shows the place); a
   request with `stream: false` waits without them. A request that stops
   while waiting (the student pressed stop, the page went away) leaves
   the line, and the model server never sees it.
3. With a slot, the reply is relayed as usual; an error after queue lines
   is one more line in Ollama's mid-stream error shape. A `tutor.queued`
   event records how long a request waited, in which line, why (`busy`:
   no free slot; `own_limit`: the student's own cap) and whether it was
   served.
   The slot is given back when the answer ends, however it ends, and the
   reply's tokens are counted.

The quotas' counts come back from the stored `chat.exchange` events when
the service starts (`quota.py`); an `/api/generate` request, which the tutor
does not use and which leaves no exchange, counts while the service runs.
"""

from __future__ import annotations

import json
from asyncio import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.web
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from ..errors import JelaiError
from ..record.events import EventError, new_event
from .groups import ModelGroups
from .proxy import error_line
from .queue import DEFAULT_UPSTREAM, FairQueue, Ticket
from .quota import QuotaExceeded, Quotas, exchange_tokens

if TYPE_CHECKING:
    from ..store import EventStore
    from .proxy import ProxyCall

GENERATIONS = ("chat", "generate")
NDJSON = "application/x-ndjson"


@dataclass
class Gate:
    """What a course's gateway applies to generations."""

    queue: FairQueue
    quotas: Quotas | None = None
    # Instructors are never refused by a quota (they still count towards the course's).
    exempt_instructors: bool = True
    # Seconds between two queue lines while the place stays the same.
    heartbeat: float = 15.0
    # The line each model's requests wait in; None: all in `upstream`.
    groups: ModelGroups | None = None
    upstream: str = DEFAULT_UPSTREAM

    def line(self, model: str | None) -> str:
        """The line of the queue a generation for `model` waits in."""
        return self.groups.line(model) if self.groups is not None else self.upstream


def queue_line(position: int) -> bytes:
    """The NDJSON line telling a waiting student their place (1: next)."""
    return json.dumps({"jelai": {"queue": {"position": position}}}).encode() + b"\n"


class Admission(tornado.web.RequestHandler):
    """Quotas and queue for `ModelProxy`; a handler with a gate overrides
    `gate` and `quota_exempt` (the caller is an instructor)."""

    gate: Gate | None = None
    quota_exempt = False
    _ticket: Ticket | None = None
    _queue_lines = False

    # Given by `ModelProxy` and the handler that mixes it in.
    _call: ProxyCall | None
    exchange_user: str
    exchange_store: EventStore | None
    _session: str
    _notebook: str | None
    _saving: Future[None] | None

    def _save(self, store: EventStore, user: str, event: dict[str, Any]) -> None:
        raise NotImplementedError

    def admit(self, endpoint: str) -> None:
        """Counts a generation against the quotas, or raises QuotaExceeded
        (recorded as `tutor.refused`)."""
        gate = self.gate
        if gate is None or gate.quotas is None or endpoint not in GENERATIONS:
            return
        exempt = gate.exempt_instructors and self.quota_exempt
        try:
            gate.quotas.admit(self.exchange_user, exempt=exempt)
        except QuotaExceeded as refusal:
            self.keep_event("tutor.refused", refusal.event_data())
            raise

    async def take_turn(self, call: ProxyCall, endpoint: str, payload: Any) -> bool:
        """Waits for a slot of the upstream; False when the request stopped meanwhile."""
        gate = self.gate
        if gate is None or endpoint not in GENERATIONS:
            return True
        self._ticket = ticket = gate.queue.enter(self.exchange_user, gate.line(call.model))
        if ticket.granted:
            return True
        streamed = not (isinstance(payload, dict) and payload.get("stream") is False)
        shown, woke = 0, True
        try:
            while not (ticket.granted or ticket.left):
                # A line when the place changes, and the same again as a heartbeat.
                if streamed and (ticket.position != shown or not woke):
                    shown = ticket.position
                    await self._show_place(shown)
                woke = await ticket.changed(gate.heartbeat)
        except StreamClosedError:
            call.stop()
            gate.queue.leave(ticket)
        wait = ticket.wait_seconds() or 0.0
        data = {
            "wait_ms": round(wait * 1000),
            "position": ticket.first_position,
            "outcome": "served" if ticket.granted else "left",
            "upstream": ticket.upstream,
            "cause": ticket.cause,
        }
        self.keep_event("tutor.queued", data)
        return ticket.granted and not call.stopped

    def leave_queue(self) -> None:
        """Gives the slot back, or leaves the line (again: nothing)."""
        if self._ticket is not None and self.gate is not None:
            self.gate.queue.leave(self._ticket)

    def spend_tokens(self, data: dict[str, Any]) -> None:
        """Counts the tokens of an ended exchange against the quotas."""
        gate = self.gate
        if gate is not None and gate.quotas is not None:
            gate.quotas.spend(self.exchange_user, exchange_tokens(data))

    def keep_event(self, kind: str, data: dict[str, Any]) -> None:
        """Stores a server-made event of the conversation, off the IO loop; the
        answer waits for it when nothing else is being stored."""
        store = self.exchange_store
        if store is None:
            return
        try:
            event = new_event(kind, data, session=self._session, notebook=self._notebook)
        except EventError as error:
            self.log.error("jelai: a %s event was not stored: %s", kind, error)
            return
        saving = IOLoop.current().run_in_executor(
            None, self._save, store, self.exchange_user, event
        )
        if self._saving is None or self._saving.done():
            self._saving = saving

    def on_finish(self) -> None:
        self.leave_queue()
        call = self._call
        if call is not None and call.exchange is None and call.last_line is not None:
            # A generation recorded as no exchange (`/api/generate`): its tokens count too.
            self.spend_tokens(call.last_line)
        super().on_finish()

    def fail(self, error: JelaiError) -> None:
        if self._queue_lines:
            # The answer began with queue lines: the error is one more line.
            self.finish(error_line(error.message))
            return
        super().fail(error)  # type: ignore[misc]

    def reply(self, body: bytes, content_type: str) -> None:
        if self._queue_lines and self.get_status() != 200:
            # The model server's own error answer, as a line after the queue lines.
            try:
                message = json.loads(body)["error"]
            except (ValueError, KeyError, TypeError):
                message = f"The model server answered HTTP {self.get_status()}."
            self.finish(error_line(str(message)))
            return
        super().reply(body, content_type)  # type: ignore[misc]

    async def _show_place(self, position: int) -> None:
        if not self._queue_lines:
            self._queue_lines = True
            self.set_status(200)
            self.set_header("Content-Type", NDJSON)
            self.set_header("Cache-Control", "no-cache")
            self.set_header("X-Accel-Buffering", "no")
        self.write(queue_line(position))
        await self.flush()
