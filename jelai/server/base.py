"""The handler base class: JSON errors, the shared context and the user."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler

from ..errors import JelaiError
from ..record.paths import plain_path
from ..web.json_body import parse_json_body
from ..web.query_args import exact_text
from ..web.refusals import RefusalLog
from .identity import server_user

if TYPE_CHECKING:
    from .app import JelaiContext


class JelaiHandler(RefusalLog, APIHandler):
    """Base of every `/jelai/*` handler."""

    @property
    def jelai(self) -> JelaiContext:
        return self.settings["jelai"]

    @property
    def user_name(self) -> str:
        """Who the events belong to, decided here and never read from a payload.

        Under JupyterHub it is the hub-authenticated user; otherwise the
        operating-system account that runs the server.
        """
        if os.environ.get("JUPYTERHUB_USER"):
            user = self.current_user
            name = getattr(user, "username", None) or getattr(user, "name", None)
            if name:
                return str(name)
        return server_user()

    def exact_argument(self, name: str, default: str) -> str:
        """A query argument as sent. Tornado's own getter strips spaces and turns
        control characters into spaces, but a notebook path may hold either."""
        values = self.request.query_arguments.get(name)
        return exact_text(name, self.decode_argument(values[-1], name=name)) if values else default

    def notebook_argument(self, name: str = "notebook") -> str | None:
        """A notebook path given as a query argument, as sent but plain (see
        `paths.py`), or None when absent or empty."""
        return plain_path(self.exact_argument(name, "")) or None

    def json_body(self, max_bytes: int) -> Any:
        """The request body parsed as JSON, or a 400/413 JelaiError."""
        return parse_json_body(self.request.body or b"", max_bytes)

    def reply(self, body: bytes, content_type: str) -> None:
        """Ends the answer with `body` of `content_type` (APIHandler's own
        finish would call anything JSON)."""
        self.finish(body, set_content_type=content_type)

    def fail(self, error: JelaiError) -> None:
        self.set_status(error.status)
        self.finish(json.dumps({"error": error.message, "field": error.field}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, JelaiError):
            self.set_status(exc.status)
            self.finish(json.dumps({"error": exc.message, "field": exc.field}))
            return
        super().write_error(status_code, **kwargs)
