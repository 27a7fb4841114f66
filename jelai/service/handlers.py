"""The service's HTTP API, under its prefix (`/services/jelai/` by default).

The paths are those of a student's server under `/jelai/`, so a server in
hub mode relays its browser's requests unchanged:

- `GET config`: who the caller is, the recording policy the service applies,
  the models and the tutor's course settings (mode, snippet limit, budget).
- `GET tutor/instructions?notebook=`: the tutor's settings for a notebook,
  and whether instructor-only instructions apply to it (`gateway/page.py`);
  never their text.
- `POST events`: append the caller's events (`{"events": [...]}`), answered
  `{"stored", "duplicates", "dropped"}`; 400/413 for a bad batch, 429 past a
  limit (with `Retry-After`), 503 when the store cannot be written (the
  answer says only that; the database's error goes to the service's log).
- `GET events?notebook=&since=&limit=&type=`: the caller's own events,
  without the fields only staff read (`record/staff.py`).
- `GET analytics[?user=]`: the caller's summary; instructors may name a user.
- `GET analytics/class`: every student's summary, instructors only.
- `GET export?format=&since=&until=&notebook=&pseudonymise=[&user=]`: a
  JSONL or CSV download (see `download.py`): the caller's own events; for
  instructors the course's, or one user's, with the fields only staff read.
- `/ollama/api/<endpoint>`: the model gateway: the tutor's requests, relayed
  to the model server the service alone can reach, each exchange recorded
  under the caller's name (see `gateway/handler.py`); questions within the
  course's quotas, replies generated a few at a time, waiting students
  taking turns (see `gateway/admission.py`).

Every endpoint needs a JupyterHub token (`Authorization: token ...`) or the
browser's OAuth cookie whose owner holds `access:services!service=<name>`;
errors are `{"error": ..., "field": ...}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web
from tornado.ioloop import IOLoop

from ..config import (
    JelaiTelemetry,
    JelaiTutor,
    telemetry_public_config,
    tutor_course_config,
    tutor_public_config,
)
from ..errors import JelaiError, RateLimited
from ..gateway.admission import Gate
from ..gateway.assignments import find_assignment
from ..gateway.handler import ModelProxy
from ..gateway.instructions import InstructionsPathError
from ..gateway.page import for_notebook
from ..gateway.upstreams import Upstreams
from ..insight.analytics import summarise
from ..insight.export import export_users
from ..insight.sources import Source, own_source
from ..record.ingest import accept_batch
from ..record.paths import plain_path
from ..record.staff import for_student
from ..store import EventStore, StoreError
from ..web.download import Download, export_request, pseudonymiser_for, wants_pseudonyms
from ..web.json_body import parse_json_body
from ..web.query_args import (
    analytics_options,
    exact_text,
    limit_argument,
    notebook_required,
    since_argument,
)
from ..web.refusals import RefusalLog
from .config import JelaiService
from .identity import Caller, caller
from .limits import IngestLimits
from .staff import Staff

T = TypeVar("T")

# What a caller is told when the store fails; the database's own words, which
# name its user, host, port and database, go to the service's log.
STORE_UNAVAILABLE = "The course's store is unavailable just now; try again in a moment."


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """`oauth_callback`: ends a browser's login through the hub, with the
    service's own HubOAuth, which keeps the login's state and PKCE verifier.

    JupyterHub's handler would use `HubOAuth.instance()`, another object that
    never saw the login begin ("Code verifier required"); its own Jupyter
    server extension passes its HubOAuth the same way.
    """

    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


class ServiceHandler(HubOAuthenticated, RefusalLog, web.RequestHandler):
    """Base of every service handler: the hub's identity, JSON errors, the store."""

    def initialize(self, **context: Any) -> None:
        self.context = context
        self.hub_auth = context["hub_auth"]

    @property
    def log(self) -> logging.Logger:
        """The service's log (a tornado handler has none of its own)."""
        return self.context["log"]

    @property
    def service(self) -> JelaiService:
        return self.context["config"]

    @property
    def store(self) -> EventStore:
        return self.context["store"]

    @property
    def caller(self) -> Caller:
        """Who is asking, decided by JupyterHub; 403 for anyone else."""
        config = self.service
        return caller(self.current_user, config.instructor_groups, config.instructors)

    def exact_argument(self, name: str) -> str:
        """A query argument as sent ('' if absent): tornado's getter would strip
        spaces and control characters, which a notebook path may hold."""
        values = self.request.query_arguments.get(name)
        return exact_text(name, self.decode_argument(values[-1], name=name)) if values else ""

    def get_login_url(self) -> str:
        # A browser visiting the service is sent through the hub's OAuth; an API
        # call without a valid token gets a JSON 403, not a login page.
        if self.request.headers.get("Sec-Fetch-Mode") == "navigate":
            return super().get_login_url()
        raise JelaiError(403, "A JupyterHub token or login is required.")

    def check_xsrf_cookie(self) -> None:
        # Token-authenticated calls (servers relaying) carry no XSRF cookie.
        if not getattr(self, "_token_authenticated", False):
            super().check_xsrf_cookie()

    def prepare(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    def reply(self, body: bytes, content_type: str) -> None:
        """Ends the answer with `body` of `content_type`."""
        self.set_header("Content-Type", content_type)
        self.finish(body)

    def fail(self, error: JelaiError) -> None:
        """Answers `{"error", "field"}` with the error's status."""
        self.set_status(error.status)
        body = {"error": error.message, "field": error.field}
        if isinstance(error, RateLimited):
            self.set_header("Retry-After", str(error.retry_after))
            body = error.body()
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, StoreError):  # a download's, once it has begun
            error = JelaiError(503, STORE_UNAVAILABLE)
        elif not isinstance(error, JelaiError):
            message = getattr(error, "log_message", None) or self._reason
            error = JelaiError(status_code, message)
        self.fail(error)

    async def in_store(self, call: Callable[[], T]) -> T:
        """A store call off the IO loop (a durable commit waits for the disk)."""
        try:
            return await IOLoop.current().run_in_executor(None, call)
        except StoreError as error:
            self.log.error("jelai service: %s", error)
            raise JelaiError(503, STORE_UNAVAILABLE) from None

    async def summary(self, who: Caller, source: Source) -> None:
        options = analytics_options(
            self.get_query_argument("bucket", None), self.service.idle_seconds
        )
        notebook = plain_path(self.exact_argument("notebook")) or None
        result = await self.in_store(
            lambda: summarise([source], notebook=notebook, options=options)
        )
        self.finish(json.dumps({"user": who.name, "instructor": who.instructor, **result}))


class ConfigHandler(ServiceHandler):
    """`GET config`: the caller as the hub names them, and the recording policy."""

    @web.authenticated
    def get(self) -> None:
        who = self.caller
        tutor: JelaiTutor = self.context["tutor"]
        self.finish(
            json.dumps(
                {
                    "user": who.name,
                    "instructor": who.instructor,
                    "telemetry": telemetry_public_config(self.context["telemetry"]),
                    "tutor": tutor_public_config(tutor),
                    "course": tutor_course_config(tutor),
                }
            )
        )


class TutorInstructionsHandler(ServiceHandler):
    """`GET tutor/instructions?notebook=`: what the page may know of a notebook's
    instructions; the instructor-only layer's text stays here."""

    @web.authenticated
    async def get(self) -> None:
        self.caller  # noqa: B018 - a service's token is refused
        notebook = plain_path(self.exact_argument("notebook"))
        course_dir = self.service.course_dir
        assignment = None
        if course_dir and notebook:
            try:
                assignment = await IOLoop.current().run_in_executor(
                    None, find_assignment, course_dir, notebook
                )
            except InstructionsPathError as error:
                raise JelaiError(400, str(error), "notebook") from None
            except OSError as error:
                self.log.error("jelai service: the course folder cannot be read: %s", error)
                raise JelaiError(503, "The course's instructions cannot be read.") from None
        self.finish(json.dumps(for_notebook(self.context["tutor"], assignment)))


class EventsHandler(ServiceHandler):
    """`POST events` appends the caller's batch; `GET events` reads their own."""

    @web.authenticated
    async def post(self) -> None:
        who = self.caller
        telemetry = self.context["telemetry"]
        raw = self.request.body or b""
        kept, dropped = accept_batch(parse_json_body(raw, telemetry.max_body_bytes), telemetry)
        limits: IngestLimits = self.context["limits"]
        limits.admit(who.name, len(kept) + dropped, len(raw))
        stored, duplicates = await self.in_store(lambda: self.store.add(who.name, kept))
        self.finish(json.dumps({"stored": stored, "duplicates": duplicates, "dropped": dropped}))

    @web.authenticated
    async def get(self) -> None:
        who = self.caller
        notebook = notebook_required(plain_path(self.exact_argument("notebook")))
        since = since_argument(self.get_query_argument("since", None))
        limit = limit_argument(self.get_query_argument("limit", None))
        types = self.get_query_arguments("type") or None
        rows = await self.in_store(
            lambda: for_student(
                self.store.query_json(
                    user=who.name, notebook=notebook, since=since, limit=limit, types=types
                )
            )
        )
        self.finish('{"events":[' + ",".join(rows) + "]}")


class AnalyticsHandler(ServiceHandler):
    """`GET analytics`: the caller's summary; an instructor may add `?user=`."""

    @web.authenticated
    async def get(self) -> None:
        who = self.caller
        user = self.get_query_argument("user", None) or who.name
        if user != who.name and not who.instructor:
            raise JelaiError(403, "You may only see your own data.", "user")
        await self.summary(who, own_source(self.store, user))


class ClassAnalyticsHandler(ServiceHandler):
    """`GET analytics/class`: every student of the course, for instructors only."""

    @web.authenticated
    async def get(self) -> None:
        who = self.caller
        if not who.instructor:
            raise JelaiError(403, "Only instructors may see the class's data.")
        staff: Staff = self.context["staff"]
        exclude = {who.name, *await staff.names()}
        await self.summary(who, own_source(self.store, None, exclude=exclude))


class ExportHandler(Download, ServiceHandler):
    """`GET export`: the caller's events as a download; instructors get the course's."""

    @web.authenticated
    async def get(self) -> None:
        who = self.caller

        def argument(name: str) -> str | None:
            return self.get_query_argument(name, None)

        notebook = plain_path(self.exact_argument("notebook")) or None
        kind, filters = export_request(argument, notebook)
        user = argument("user")
        if user not in (None, who.name) and not who.instructor:
            raise JelaiError(403, "You may only download your own data.", "user")
        if user is None and not who.instructor:
            user = who.name
        sources = [own_source(self.store, user)]
        pseudonymiser = None
        if wants_pseudonyms(argument):
            names = {who.name, *self.service.instructors}
            names.update(await self.in_store(lambda: export_users(sources)))
            key_file = Path(self.service.export_key_file)
            pseudonymiser = pseudonymiser_for(key_file, sorted(names), staff=who.instructor)
        await self.send_export(kind, sources, filters, pseudonymiser, staff=who.instructor)


class GatewayHandler(ModelProxy, ServiceHandler):
    """`ollama/api/<endpoint>`: the tutor's model requests; exchanges kept under the caller."""

    @property
    def tutor_config(self) -> JelaiTutor:  # type: ignore[override]
        return self.context["tutor"]

    @property
    def upstreams(self) -> Upstreams:  # type: ignore[override]
        return self.context["upstreams"]

    @property
    def exchange_store(self) -> EventStore:  # type: ignore[override]
        return self.store

    @property
    def exchange_user(self) -> str:  # type: ignore[override]
        return self.caller.name

    @property
    def recording_policy(self) -> JelaiTelemetry:  # type: ignore[override]
        return self.context["telemetry"]

    @property
    def course_dir(self) -> str | None:  # type: ignore[override]
        return self.service.course_dir or None

    @property
    def reference_in_prompt(self) -> bool:  # type: ignore[override]
        return self.service.reference_in_prompt

    @property
    def gate(self) -> Gate:  # type: ignore[override]
        return self.context["gate"]

    @property
    def quota_exempt(self) -> bool:  # type: ignore[override]
        return self.caller.instructor

    def read_body(self, max_bytes: int) -> Any:
        return parse_json_body(self.request.body or b"", max_bytes)

    @web.authenticated
    async def get(self, path: str) -> None:
        self.caller  # noqa: B018 - a service's token is refused before anything is sent
        await self.relay("GET", path)

    @web.authenticated
    async def post(self, path: str) -> None:
        self.caller  # noqa: B018
        await self.relay("POST", path)

    @web.authenticated
    async def delete(self, path: str) -> None:
        self.caller  # noqa: B018
        await self.relay("DELETE", path)
