"""The model gateway as a tornado handler: the browser's only way to the model server.

The handler reads the request, lets `proxy.ProxyCall` decide and
relay it, and writes the reply back, flushing every NDJSON line so the
first words reach the student while the model is still writing. Each chat
exchange is stored as a `chat.exchange` event.

`ModelProxy` is that behaviour for any handler that can say whose exchange
it is and where it is stored: a standalone server (`server/proxy_handler.py`)
and the course's hub service (`service/handlers.py`) both use it, so the
rules are the same code in both places.

A chat's prompt is completed here (`completed_chat.py`), with the instructor-only
layer of the course folder when the handler has one (`course_dir`, the
service's). A hint request (`jelai.hint`) is recorded as a `tutor.hint`
event before the question goes on: the gateway's record, which the stuck
rule trusts, unlike anything the browser could send.

The browser names the conversation with two request headers:
`X-Jelai-Notebook` (the notebook path, URI-encoded; empty for none) and
`X-Jelai-Session` (the page session id). The reply is guarded
(`guardrails.py`) by the rules of the completed prompt's merged pedagogy
and, in every mode, against every assignment's reference solution. The page
names the notebook, so a renamed copy (or a forged header) loses the
assignment's hidden instructions and its mode, never the check against its
solution.
"""

from __future__ import annotations

from asyncio import Future
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from ..errors import JelaiError
from ..record.events import ENVELOPE_SCHEMA, EventError, new_event
from ..record.paths import plain_notebook
from ..record.policy import TelemetryPolicy, apply_policy
from ..store import EventStore, StoreError
from ..web.query_args import exact_text
from .admission import Admission
from .assignments import Assignment, every_reference, find_assignment
from .instructions import InstructionsPathError
from .proxy import ProxyCall, check_endpoint
from .upstreams import Upstreams
from .wording import HINT_LEVELS

if TYPE_CHECKING:
    from ..config import JelaiTutor

NDJSON = "application/x-ndjson"
MAX_NOTEBOOK = ENVELOPE_SCHEMA["properties"]["notebook"]["maxLength"]


class ModelProxy(Admission):
    """Relays the allowed Ollama endpoints; refuses the rest with a JSON error.

    A handler class mixes it in before its base and provides `tutor_config`,
    `upstreams`, `exchange_store` (None: exchanges are not kept),
    `exchange_user`, `recording_policy` and `read_body`, and a `gate` for
    quotas and the queue (see `admission.py`), and may provide `course_dir`
    (the instructor-only layer) and `reference_in_prompt`; its base provides
    `reply` and `fail`.
    """

    _call: ProxyCall | None = None
    _saving: Future[None] | None = None
    _notebook: str | None = None
    _session = "unknown"
    # The reference solutions replies are held to (every assignment's), once read.
    _reference: list[str] | None = None

    tutor_config: JelaiTutor
    upstreams: Upstreams
    exchange_store: EventStore | None
    exchange_user: str
    recording_policy: TelemetryPolicy
    course_dir: str | None = None
    reference_in_prompt = True

    def read_body(self, max_bytes: int) -> Any:
        raise NotImplementedError

    def reference_solution(self) -> str | list[str] | None:
        """The reference solutions no reply may give away (`assignments.py`: the
        course folder's, every assignment's whatever the notebook, one string
        per solution region), whether or not the model is shown them; None
        when there is none."""
        return self._reference

    def on_connection_close(self) -> None:
        # The student pressed stop or left: the model server should stop too.
        if self._call is not None:
            self._call.stop()
        self.leave_queue()

    async def relay(self, method: str, path: str) -> None:
        """Answers one request for `/api/<path>`."""
        tutor = self.tutor_config
        try:
            endpoint = check_endpoint(path, method)  # refuse before reading the body
            self._conversation()
            payload = self.read_body(tutor.max_request_bytes) if method == "POST" else None
            record = assignment = reference = None
            if endpoint == "chat":
                record = self._record
                assignment = await self._assignment()
                reference = self.reference_solution()
            call = ProxyCall(
                tutor, self.upstreams, method, path, payload, record, assignment, reference
            )
            self.admit(endpoint)  # a question past a quota is neither sent nor recorded
            self._call = call
            if call.prompt is not None and call.prompt.fields.hint is not None:
                await self._record_hint(call.prompt.fields.hint, call.prompt.fields.cell)
            if not await self.take_turn(call, endpoint, payload):
                return  # stopped while waiting for a slot
            await call.start()
            if not call.streaming:
                body = await call.read_body()
                await self._saved()
                self.set_status(call.status)
                self.reply(body, call.content_type)  # type: ignore[attr-defined]
                return
        except JelaiError as error:
            await self._saved()  # a failed chat is recorded too
            if not (self._call and self._call.stopped):
                self.fail(error)  # type: ignore[attr-defined]
            return
        await self._stream(call)

    async def _stream(self, call: ProxyCall) -> None:
        self.set_status(call.status)
        self.set_header("Content-Type", NDJSON)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # nginx in front must not buffer
        lines = call.lines()
        try:
            async for line in lines:
                self.write(line)
                await self.flush()
        except StreamClosedError:
            call.stop()
            return
        finally:
            await lines.aclose()
        await self._saved()  # so the exchange can be read back once the reply ends
        self.reply(b"", NDJSON)  # type: ignore[attr-defined]

    def _conversation(self) -> None:
        """Reads the conversation headers; a 400, before anything is sent on, for a
        notebook path too long to be recorded with the exchange."""
        notebook = plain_notebook(unquote(self.request.headers.get("X-Jelai-Notebook", ""))) or None
        if notebook is not None and len(notebook) > MAX_NOTEBOOK:
            raise JelaiError(
                400, f"The notebook path is longer than {MAX_NOTEBOOK} characters.", "notebook"
            )
        if notebook is not None:
            exact_text("notebook", notebook)  # no NUL: the exchange could not be stored
        self._notebook = notebook
        self._session = self.request.headers.get("X-Jelai-Session", "")[:64] or "unknown"

    async def _assignment(self) -> Assignment | None:
        """The instructor-only layer of the notebook's assignment, or None. A
        course folder that cannot be read is a 503: the tutor does not answer
        without the instructor's instructions."""
        if not self.course_dir:
            return None
        course_dir, notebook = self.course_dir, self._notebook
        loop = IOLoop.current()
        try:
            found = None
            if notebook is not None:
                found = await loop.run_in_executor(None, find_assignment, course_dir, notebook)
            # The page names the notebook, so its name decides the hidden layer
            # but not which solutions are guarded: every reply is held to every
            # assignment's, in every mode, so no name (another assignment's, one
            # without a solution, none) and no free help hands one out.
            every = await loop.run_in_executor(None, every_reference, course_dir)
        except InstructionsPathError as error:
            raise JelaiError(400, str(error), "notebook") from None
        except OSError as error:
            self.log.error("jelai: the course folder cannot be read: %s", error)
            raise JelaiError(
                503, "The course's instructions for this assignment cannot be read."
            ) from None
        own = found.regions if found is not None else ()
        # The guard holds replies to the reference even when the model is not shown it.
        self._reference = list(dict.fromkeys([*own, *every])) or None
        if found is not None and not self.reference_in_prompt:
            found = Assignment(found.name, found.instructions, None, found.regions)
        return found

    async def _record_hint(self, level: int, cell: dict[str, Any] | None) -> None:
        """Stores the `tutor.hint` event of a hint request (if the policy keeps them)."""
        store = self.exchange_store
        if store is None:
            return
        data = {"level": level, "name": HINT_LEVELS[level][0]}
        try:
            event = new_event(
                "tutor.hint", data, session=self._session, notebook=self._notebook, cell=cell
            )
        except EventError as error:
            raise JelaiError(400, error.message, "jelai.cell") from None
        kept = apply_policy(event, self.recording_policy)
        if kept is not None:
            await IOLoop.current().run_in_executor(
                None, self._save, store, self.exchange_user, kept
            )

    def _record(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        """Stores the exchange (first) and what the guardrails did, linked to it."""
        self.spend_tokens(records[0][1])
        store = self.exchange_store
        if store is None:
            return
        events: list[dict[str, Any]] = []
        try:
            for kind, data in records:
                if events:
                    data = {**data, "exchange_id": events[0]["id"]}
                events.append(new_event(kind, data, session=self._session, notebook=self._notebook))
        except EventError as error:
            self.log.error("jelai: a chat exchange was not stored: %s", error)
            return
        # A durable write waits for the disk: off the IO loop, so that other
        # students' streams are not held up by it.
        self._saving = IOLoop.current().run_in_executor(
            None, self._save, store, self.exchange_user, *events
        )

    def _save(self, store: EventStore, user: str, *events: dict[str, Any]) -> None:
        try:
            store.add(user, list(events))
        except StoreError as error:
            # The student still gets the reply; the record is what is lost.
            self.log.error("jelai: a chat exchange was not stored: %s", error)

    async def _saved(self) -> None:
        if self._saving is not None:
            await self._saving
