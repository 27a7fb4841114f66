"""`jelai service`: runs the hub service.

JupyterHub starts it for a hub-managed service and tells it where to listen
and who it is through the environment (see JupyterHub's "Services" docs):
`JUPYTERHUB_SERVICE_URL` (where to listen), `JUPYTERHUB_SERVICE_PREFIX` (its
path behind the proxy), `JUPYTERHUB_API_TOKEN` and `JUPYTERHUB_API_URL` (to
ask the hub who a token belongs to) and `JUPYTERHUB_OAUTH_ACCESS_SCOPES`.
An external service is given the same variables by whoever runs it.

    c.JupyterHub.services = [{
        "name": "jelai",
        "url": "http://127.0.0.1:10101",
        "command": ["jelai", "service", "--config", "/etc/jelai/jelai_service_config.py"],
        "oauth_no_confirm": True,
    }]
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth
from jupyterhub.utils import url_path_join
from tornado.httpserver import HTTPServer
from tornado.web import Application
from traitlets import Unicode
from traitlets.config import Application as TraitletsApplication

from ..config import JelaiTelemetry, JelaiTutor
from ..gateway.admission import Gate
from ..gateway.groups import ModelGroups
from ..gateway.queue import FairQueue
from ..gateway.quota import QuotaLimits, Quotas, stored_usage
from ..gateway.upstreams import Upstreams
from ..store import EventStore
from .config import JelaiService
from .handlers import (
    AnalyticsHandler,
    ClassAnalyticsHandler,
    ConfigHandler,
    EventsHandler,
    ExportHandler,
    GatewayHandler,
    OAuthCallbackHandler,
    TutorInstructionsHandler,
)
from .limits import IngestLimits
from .staff import Staff


class JelaiServiceApp(TraitletsApplication):
    """Loads the configuration, opens the store and serves the API.

    The course's settings are those of a user's server, given to the service:
    `c.JelaiTelemetry.*` (what is recorded) and `c.JelaiTutor.*` (the model
    server, its credentials, the models allowed), plus `c.JelaiService.*`.
    """

    name = "jelai-service"
    description = "The jelai JupyterHub service: the course's record and class insight."
    classes = [JelaiService, JelaiTelemetry, JelaiTutor, HubOAuth]
    aliases = {"config": "JelaiServiceApp.config_file"}

    config_file = Unicode(
        "", help="A Python configuration file (c.JelaiService..., c.JelaiTelemetry...)."
    ).tag(config=True)

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        # Tornado's and jelai's own loggers write through the service's log,
        # as a Jupyter server's do through its own.
        for name in ("tornado", "jelai"):
            logger = logging.getLogger(name)
            logger.parent = self.log
            logger.propagate = True
        if self.config_file:
            path = Path(self.config_file)
            self.load_config_file(path.name, path=str(path.parent.absolute()))
        self.service = JelaiService(parent=self)
        self.telemetry = JelaiTelemetry(parent=self)
        self.tutor = JelaiTutor(parent=self)
        self.store = EventStore(self.service.store_url)
        self.gate = make_gate(self.service, self.tutor)

    def make_app(self) -> Application:
        """The tornado application: the API under the service's prefix."""
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/jelai/")
        hub_auth = HubOAuth(parent=self, base_url=prefix)
        context = {
            "log": self.log,
            "hub_auth": hub_auth,
            "config": self.service,
            "telemetry": self.telemetry,
            "store": self.store,
            "tutor": self.tutor,
            "upstreams": Upstreams(),
            "gate": self.gate,
            "limits": IngestLimits(
                self.service.max_events_per_minute, self.service.max_bytes_per_day
            ),
            "staff": Staff(
                hub_auth.api_url,
                hub_auth.api_token,
                self.service.instructors,
                self.service.instructor_groups,
            ),
        }
        routes = [
            ("config", ConfigHandler),
            ("events", EventsHandler),
            ("analytics", AnalyticsHandler),
            ("analytics/class", ClassAnalyticsHandler),
            ("export", ExportHandler),
            ("tutor/instructions", TutorInstructionsHandler),
            ("ollama/api/(.+)", GatewayHandler),
        ]
        handlers: list[Any] = [
            (url_path_join(prefix, path), handler, context) for path, handler in routes
        ]
        callback = url_path_join(prefix, "oauth_callback")
        handlers.append((callback, OAuthCallbackHandler, {"hub_auth": hub_auth}))
        return Application(
            handlers,
            cookie_secret=os.urandom(32),
            log_function=self._log_request,
        )

    def _log_request(self, handler: Any) -> None:
        # One line per request; a refused one says why (`web/refusals.py`).
        status = handler.get_status()
        log = self.log.info if status < 400 else self.log.warning
        request = handler.request
        refusal = getattr(handler, "refusal", None)
        if refusal:
            log("%d %s %s: %s", status, request.method, request.path, refusal)
        else:
            log("%d %s %s", status, request.method, request.path)

    def start(self) -> None:
        url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
        asyncio.run(self._serve(url.hostname or "127.0.0.1", url.port or 10101))

    async def prepare(self) -> None:
        """Before the first request: the store's schema is created or migrated,
        and the quotas count on from the exchanges it holds (a restart forgives
        nothing)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.store.open)
        if self.gate.quotas is not None:
            usage = await loop.run_in_executor(None, stored_usage, self.store, time.time())
            self.gate.quotas.restore(usage)

    async def _serve(self, host: str, port: int) -> None:
        await self.prepare()
        server = HTTPServer(self.make_app(), xheaders=True)
        server.listen(port, host)
        self.log.info("jelai service on %s:%d, store %s", host, port, self.store.where)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopped.set)
        await stopped.wait()
        server.stop()
        self.store.close()


def make_gate(service: JelaiService, tutor: JelaiTutor) -> Gate:
    """The tutor's quotas and queue (a line per model group), as the settings give them."""
    limits = QuotaLimits(
        student_questions_per_hour=service.student_questions_per_hour,
        student_tokens_per_day=service.student_tokens_per_day,
        course_questions_per_hour=service.course_questions_per_hour,
        course_tokens_per_day=service.course_tokens_per_day,
    )
    groups = ModelGroups(tutor, service.max_concurrent_generations)
    return Gate(
        queue=FairQueue(groups.slots, per_user=service.max_generations_per_student),
        groups=groups,
        quotas=Quotas(limits) if limits else None,
        exempt_instructors=service.quota_exempt_instructors,
    )


def main(argv: list[str] | None = None) -> None:
    """Runs the service until SIGTERM or SIGINT."""
    app = JelaiServiceApp()
    app.initialize(argv)
    app.start()
