"""How both servers log a request that ended in an error: a refusal in one
line, a fault with its traceback.

A `JelaiError` is jelai's own answer to a request it refuses (400, 403,
413, 429...) or cannot serve now (502, 503): the caller is told why, and
nothing is wrong with the server. Tornado would log it as an "Uncaught
exception" with a traceback at ERROR, twenty lines for each refused
request, so that any student looping on one could bury the real errors of
a course's log. A `StoreError` says all there is to say in its message.
Anything else is a fault, logged with its traceback.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType

import tornado.web

from ..errors import JelaiError
from ..store import StoreError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LOGGED = 300  # characters of a refusal's message in the log


def one_line(text: str) -> str:
    """`text` fit for one log line: control characters escaped (a message may
    quote what a caller sent), and cut at MAX_LOGGED characters."""
    text = _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
    return text if len(text) <= MAX_LOGGED else text[: MAX_LOGGED - 1] + "…"


class RefusalLog(tornado.web.RequestHandler):
    """Mixed in before a handler base that has a `log` (after any mixin that
    is no handler, such as JupyterHub's `HubOAuthenticated`, whose methods a
    handler class before it would hide): refusals are kept as `refusal` for
    the access log's line (and logged at DEBUG), store errors are one line
    at ERROR, other exceptions keep their traceback."""

    log: logging.Logger
    # Why the request was refused, once it was: for the access log's line.
    refusal: str | None = None

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        request = f"{self.request.method} {self.request.path}"
        if isinstance(value, JelaiError):
            self.refusal = one_line(value.message)
            self.log.debug("jelai: %d %s: %s", value.status, request, self.refusal)
        elif isinstance(value, StoreError):
            self.log.error("jelai: %s: %s", request, value)
        elif isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)  # tornado's own one line
        else:
            self.log.error("Uncaught exception %s", request, exc_info=(typ, value, tb))
