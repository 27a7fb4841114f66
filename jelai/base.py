"""The handler base class: JSON errors, the shared context and the user."""

from __future__ import annotations

import getpass
import json
import os
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler

if TYPE_CHECKING:
    from .app import JelaiContext


class JelaiError(Exception):
    """A request jelai refuses; becomes `{"error": message, "field": field}`."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class JelaiHandler(APIHandler):
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
            return str(name or os.environ["JUPYTERHUB_USER"])
        return getpass.getuser()

    def json_body(self, max_bytes: int) -> Any:
        """The request body parsed as JSON, or a 400/413 JelaiError."""
        body = self.request.body or b""
        if len(body) > max_bytes:
            raise JelaiError(413, f"Request body is larger than {max_bytes} bytes.")
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise JelaiError(400, f"Request body is not valid JSON: {err}") from None

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
