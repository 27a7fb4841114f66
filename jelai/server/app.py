"""Loads jelai into a Jupyter server: configuration, store and routes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from jupyter_server.serverapp import ServerApp

from ..config import Jelai, JelaiTelemetry, JelaiTutor
from ..gateway.upstream import IdleConnections
from ..gateway.upstreams import Upstreams
from ..store import EventStore
from .routes import setup_routes


@dataclass
class JelaiContext:
    """What the handlers share, kept in the tornado settings under `jelai`."""

    config: Jelai
    telemetry: JelaiTelemetry
    tutor: JelaiTutor
    # None in hub mode: the course's service keeps the record.
    store: EventStore | None
    # Open connections to the model servers (or, in hub mode, to the service),
    # reused from one question to the next.
    upstream: IdleConnections = field(default_factory=IdleConnections)
    # The model servers' health and the requests in flight on each.
    upstreams: Upstreams = field(init=False)

    def __post_init__(self) -> None:
        self.upstreams = Upstreams(self.upstream)


def load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Reads the configuration once, opens the store and adds the routes."""
    # jelai's own loggers (the gateway's, naming a model server that failed)
    # write through the server's log, as Jupyter hooks tornado's up.
    jelai_log = logging.getLogger("jelai")
    jelai_log.parent = serverapp.log
    jelai_log.propagate = True
    config = Jelai(parent=serverapp)
    context = JelaiContext(
        config=config,
        telemetry=JelaiTelemetry(parent=serverapp),
        tutor=JelaiTutor(parent=serverapp),
        store=None if config.service_url else EventStore(config.store_location()),
    )
    serverapp.web_app.settings["jelai"] = context
    setup_routes(serverapp.web_app, context)
    if context.store is None:
        serverapp.log.info("jelai: hub mode, relaying to the service at %s", config.service_url)
    else:
        serverapp.log.info("jelai: storing events in %s", context.store.where)
