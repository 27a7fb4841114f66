"""No `/jelai/` endpoint answers a request that is not authenticated.

The check is behavioural: every verb of every handler registered under
`/jelai/` is called without a token and must be refused. The server runs with
`allow_unauthenticated_access=True` here, jupyter_server's permissive setting,
so only the handlers' own `@tornado.web.authenticated` can refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import tornado.web
from tornado.httpclient import HTTPResponse
from tornado.routing import PathMatches, Router
from tornado.util import re_unescape
from traitlets.config import Config

# Values tried for the groups of a route's regular expression.
SAMPLE_GROUPS = ("chat", "1", "x")
# A matching XSRF cookie and header, so a refusal can only come from authentication.
XSRF = "6a656c6169"
BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.ServerApp.allow_unauthenticated_access = True
    return jp_server_config


def handler_rules(router: Any) -> Iterator[tuple[PathMatches, type[tornado.web.RequestHandler]]]:
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, Router) or hasattr(target, "rules"):
            yield from handler_rules(target)
        elif isinstance(target, type) and isinstance(rule.matcher, PathMatches):
            yield rule.matcher, target


def jelai_routes(web_app: Any) -> dict[str, type[tornado.web.RequestHandler]]:
    """Each `/jelai/` route as a concrete path, with its handler class."""
    routes = {}
    for matcher, handler in handler_rules(web_app.default_router):
        if "/jelai/" not in matcher.regex.pattern:
            continue
        path = None
        # Built by hand: tornado's `reverse` trips on the `%40` of the test base URL.
        pattern = matcher.regex.pattern.removeprefix("^").removesuffix("$")
        for sample in SAMPLE_GROUPS:
            try:
                candidate = re_unescape(re.sub(r"\((?:[^()\\]|\\.)*\)", sample, pattern))
            except ValueError:
                break
            if matcher.regex.fullmatch(candidate):
                path = candidate
                break
        assert path, f"cannot build a URL for {matcher.regex.pattern}; add a sample group"
        routes[path] = handler
    return routes


def own_verbs(handler: type[tornado.web.RequestHandler]) -> list[str]:
    """The HTTP verbs a jelai class implements (not those inherited from jupyter_server)."""
    verbs = []
    for verb in handler.SUPPORTED_METHODS:
        owner = next(c for c in handler.__mro__ if verb.lower() in vars(c))
        if owner.__module__.split(".")[0] == "jelai":
            verbs.append(verb)
    return verbs


async def call_without_token(client: Any, path: str, verb: str) -> HTTPResponse:
    return await client.fetch(
        path,
        method=verb,
        body="{}" if verb in BODY_METHODS else None,
        headers={"Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF},
        follow_redirects=False,
        raise_error=False,
        allow_nonstandard_methods=True,
    )


async def test_every_jelai_verb_refuses_unauthenticated_requests(
    jp_serverapp: Any, http_server_client: Any
) -> None:
    routes = jelai_routes(jp_serverapp.web_app)
    names = {handler.__name__ for handler in routes.values()}
    assert {"ConfigHandler", "EventsHandler", "OllamaProxyHandler"} <= names
    answers = {}
    for path, handler in routes.items():
        for verb in own_verbs(handler):
            response = await call_without_token(http_server_client, path, verb)
            answers[f"{verb} {path}"] = response.code
    assert {"GET /a%40b/jelai/config", "POST /a%40b/jelai/events"} <= set(answers)
    assert {call: code for call, code in answers.items() if code not in (401, 403)} == {}


class OpenHandler(tornado.web.RequestHandler):
    """A handler that forgot authentication, to show the probe notices."""

    def get(self) -> None:
        self.finish("open")

    def post(self) -> None:
        self.finish("open")


async def test_the_probe_catches_a_handler_without_authentication(
    jp_serverapp: Any, http_server_client: Any
) -> None:
    web_app = jp_serverapp.web_app
    web_app.add_handlers(".*$", [(re.escape(web_app.settings["base_url"]) + "open", OpenHandler)])
    for verb in ("GET", "POST"):
        response = await call_without_token(http_server_client, "/a%40b/open", verb)
        assert response.code == 200
