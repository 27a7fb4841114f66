"""The `/jelai/*` routes, all added in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.utils import url_path_join
from tornado.web import Application

from .handlers import ConfigHandler, EventsHandler
from .insight_handlers import AnalyticsHandler, ClassAnalyticsHandler, ExportHandler
from .proxy_handler import OllamaProxyHandler
from .tutor_handlers import TutorInstructionsHandler

if TYPE_CHECKING:
    from .app import JelaiContext


def setup_routes(web_app: Application, context: JelaiContext) -> None:
    base_url = web_app.settings["base_url"]

    def route(*parts: str) -> str:
        return url_path_join(base_url, "jelai", *parts)

    web_app.add_handlers(
        ".*$",
        [
            (route("config"), ConfigHandler),
            (route("events"), EventsHandler),
            (route("ollama", "api", r"(.+)"), OllamaProxyHandler),
            (route("tutor", "instructions"), TutorInstructionsHandler),
            (route("analytics"), AnalyticsHandler),
            (route("analytics", "class"), ClassAnalyticsHandler),
            (route("export"), ExportHandler),
        ],
    )
