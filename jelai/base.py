"""The handler base class: JSON errors, the shared context and the user."""

from __future__ import annotations

import json
import math
import os
import re
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler

from .classdata import server_user
from .errors import JelaiError
from .paths import plain_path

if TYPE_CHECKING:
    from .app import JelaiContext


# Deeper than any request jelai expects; far from Python's recursion limit, which
# validation and copying would otherwise reach (an unanswered 500).
MAX_JSON_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
            if name:
                return str(name)
        return server_user()

    def exact_argument(self, name: str, default: str) -> str:
        """A query argument as sent. Tornado's own getter strips spaces and turns
        control characters into spaces, but a notebook path may hold either."""
        values = self.request.query_arguments.get(name)
        return self.decode_argument(values[-1], name=name) if values else default

    def notebook_argument(self, name: str = "notebook") -> str | None:
        """A notebook path given as a query argument, as sent but plain (see
        `paths.py`), or None when absent or empty."""
        return plain_path(self.exact_argument(name, "")) or None

    def json_body(self, max_bytes: int) -> Any:
        """The request body parsed as JSON, or a 400/413 JelaiError."""
        body = self.request.body or b""
        if len(body) > max_bytes:
            raise JelaiError(413, f"Request body is larger than {max_bytes} bytes.")
        try:
            text = body.decode("utf-8")
            value = json.loads(text)
        except RecursionError:
            raise JelaiError(400, _TOO_DEEP) from None
        except ValueError as err:  # not UTF-8, not JSON, or an integer of 4,300+ digits
            raise JelaiError(400, f"Request body is not valid JSON: {err}") from None
        _check_json(value)
        if _SURROGATE_ESCAPE.search(text):
            value = _without_lone_surrogates(value)
        return value

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


_TOO_DEEP = f"Request body is not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep."


def _check_json(value: Any) -> None:
    """A 400 for what JSON.parse in a browser would not give back: NaN,
    Infinity (or 1e999), and nesting deeper than MAX_JSON_DEPTH."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise JelaiError(400, "Request body is not valid JSON: NaN or an infinite number.")
        if isinstance(item, (dict, list)):
            if depth == MAX_JSON_DEPTH:
                raise JelaiError(400, _TOO_DEEP)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _without_lone_surrogates(value: Any) -> Any:
    """`value` with each lone surrogate (a valid JSON escape such as \\ud800, but
    not text: SQLite and UTF-8 refuse it) replaced by U+FFFD, so the rest is kept."""
    text = json.dumps(value, ensure_ascii=False)
    if not _LONE_SURROGATE.search(text):
        return value
    return json.loads(_LONE_SURROGATE.sub("\ufffd", text))
