"""Hub mode: a user's server relays `/jelai/*` to the course's jelai service.

With `c.Jelai.service_url` set, this server stores nothing of its own and
holds no model server address: the browser's requests for events, insight
and the tutor's model go to the service unchanged
(method, path under `/jelai/`, query and body), carrying this server's
JupyterHub token (`$JUPYTERHUB_API_TOKEN`), so the service learns from the
hub whose server is asking. A user cannot name anyone else: the token is
the server's, and only its owner reaches the server.

When the service cannot be reached the answer is 503: the browser keeps the
batch in its queue (local storage) and sends it again, and the service
stores each event id once, so an outage loses nothing and counts nothing
twice.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.iostream import StreamClosedError

from .base import JelaiError, JelaiHandler
from .ollama_upstream import Upstream, UpstreamError

# Answer headers passed back to the browser as the service sent them.
PASSED_HEADERS = ("Retry-After", "Content-Disposition", "Cache-Control")


async def ask_service(
    service_url: str, method: str, path: str, query: str = "", body: bytes | None = None
) -> HTTPResponse:
    """The service's answer to one request with this server's hub token; a 503
    JelaiError when it cannot be reached or gives no HTTP answer."""
    url = f"{service_url.rstrip('/')}/{path}" + (f"?{query}" if query else "")
    request = HTTPRequest(
        url,
        method=method,
        body=body,
        headers={
            "Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
            "Content-Type": "application/json",
        },
        connect_timeout=10,
        request_timeout=120,
        follow_redirects=False,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError) as error:
        raise JelaiError(
            503,
            f"The course's jelai service is not reachable ({error}); nothing was lost, "
            "the browser sends again.",
        ) from None
    if response.code == 599:  # tornado's code for no HTTP answer at all
        raise JelaiError(503, "The course's jelai service did not answer; try again.")
    return response


class RelayHandler(JelaiHandler):
    """Forwards one `/jelai/<path>` request to the service and answers with its reply."""

    def initialize(self, path: str) -> None:
        self.path = path

    @tornado.web.authenticated
    async def get(self) -> None:
        await self._relay("GET", None)

    @tornado.web.authenticated
    async def post(self) -> None:
        await self._relay("POST", self.request.body or b"")

    async def _relay(self, method: str, body: bytes | None) -> None:
        query = urlencode(
            [
                (name, self.decode_argument(value, name=name))
                for name, values in self.request.query_arguments.items()
                for value in values
            ]
        )
        try:
            response = await ask_service(
                self.jelai.config.service_url, method, self.path, query, body
            )
        except JelaiError as error:
            self.log.warning("jelai: %s", error.message)
            self.fail(error)
            return
        self.set_status(response.code)
        for name in PASSED_HEADERS:
            if name in response.headers:
                self.set_header(name, response.headers[name])
        kind = response.headers.get("Content-Type", "application/json")
        self.finish(response.body or b"", set_content_type=kind)


class ModelRelayHandler(JelaiHandler):
    """`/jelai/ollama/api/<endpoint>` in hub mode: the tutor's request, streamed to
    the service's model gateway and its reply streamed back chunk by chunk.

    This server holds no model server address or credential. When the
    browser goes away (the student pressed stop) the request to the service
    is closed, and the service closes its own to the model server.
    """

    _upstream: Upstream | None = None

    @tornado.web.authenticated
    async def get(self, path: str) -> None:
        await self._relay("GET", path, None)

    @tornado.web.authenticated
    async def post(self, path: str) -> None:
        limit = self.jelai.tutor.max_request_bytes
        body = self.request.body or b""
        if len(body) > limit:
            self.fail(JelaiError(413, f"Request body is larger than {limit} bytes."))
            return
        await self._relay("POST", path, body)

    @tornado.web.authenticated
    async def delete(self, path: str) -> None:
        await self._relay("DELETE", path, None)

    def on_connection_close(self) -> None:
        if self._upstream is not None:
            self._upstream.stop()

    async def _relay(self, method: str, path: str, body: bytes | None) -> None:
        headers = {
            "Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
            **{
                name: self.request.headers[name]
                for name in ("X-Jelai-Notebook", "X-Jelai-Session")
                if name in self.request.headers
            },
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        self._upstream = upstream = Upstream(
            self.jelai.config.service_url,
            f"ollama/api/{path}",
            method,
            body,
            self.jelai.upstream,
            headers=headers,
            connect_timeout=self.jelai.tutor.connect_timeout,
            read_timeout=self.jelai.tutor.read_timeout,
            name="The course's jelai service",
        )
        try:
            status, content_type = await upstream.open()
        except UpstreamError as error:
            upstream.close()
            if not upstream.stopped:
                self.fail(JelaiError(503 if error.status == 502 else error.status, error.message))
            return
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        try:
            async for chunk in upstream.chunks():
                self.write(chunk)
                await self.flush()
        except UpstreamError as error:
            # Mid-reply: the browser's client reads an error line.
            self.write(json.dumps({"error": error.message}).encode() + b"\n")
        except StreamClosedError:
            upstream.stop()
            return
        finally:
            upstream.close()
        self.finish(set_content_type=content_type)
