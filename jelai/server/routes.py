"""The `/jelai/*` routes, all added in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_server.utils import url_path_join
from tornado.web import Application

from .handlers import ConfigHandler, EventsHandler
from .insight_handlers import AnalyticsHandler, ClassAnalyticsHandler, ExportHandler
from .proxy_handler import OllamaProxyHandler
from .relay import RelayHandler
from .tutor_handlers import TutorInstructionsHandler

if TYPE_CHECKING:
    from .app import JelaiContext


def setup_routes(web_app: Application, context: JelaiContext) -> None:
    base_url = web_app.settings["base_url"]

    def route(*parts: str) -> str:
        return url_path_join(base_url, "jelai", *parts)

    record: list[tuple[str, type, dict[str, Any]]]
    if context.config.service_url:
        # Hub mode: the course's service keeps the record and answers for it.
        record = [
            (route(path), RelayHandler, {"path": path})
            for path in ("events", "analytics", "analytics/class", "export")
        ]
        record.append((route("ollama", "api", r"(.+)"), RelayHandler, {"path": "ollama/api/{}"}))
    else:
        record = [
            (route("ollama", "api", r"(.+)"), OllamaProxyHandler, {}),
            (route("events"), EventsHandler, {}),
            (route("analytics"), AnalyticsHandler, {}),
            (route("analytics", "class"), ClassAnalyticsHandler, {}),
            (route("export"), ExportHandler, {}),
        ]
    web_app.add_handlers(
        ".*$",
        [
            (route("config"), ConfigHandler),
            (route("tutor", "instructions"), TutorInstructionsHandler),
            *record,
        ],
    )
