"""Hub mode: a user's server relays `/jelai/*` to the course's jelai service.

With `c.Jelai.service_url` set, this server stores nothing of its own and
holds no model server address: the browser's requests for events, insight,
downloads and the tutor's model go to the service unchanged (method, path
under `/jelai/`, query and body) and its answers come back chunk by chunk
as they arrive. Each request carries this server's JupyterHub token
(`$JUPYTERHUB_API_TOKEN`), so the service learns from the hub whose server
is asking: a user cannot name anyone else, since the token is the server's
and only its owner reaches the server.

When the service cannot be reached the answer is 503: the browser keeps an
events batch in its queue (local storage) and sends it again, and the
service stores each event id once, so an outage loses nothing and counts
nothing twice. When the browser goes away (the student pressed stop), the
request to the service is closed, and the service closes its own to the
model server.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.iostream import StreamClosedError

from ..gateway.upstream import Upstream, UpstreamError
from .base import JelaiError, JelaiHandler

SERVICE_NAME = "The course's jelai service"
# Answer headers passed back to the browser as the service sent them.
PASSED_HEADERS = ("Retry-After", "Content-Disposition", "Cache-Control", "X-Accel-Buffering")


def service_headers() -> dict[str, str]:
    """What every request to the service carries: this server's hub token."""
    return {"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}"}


async def ask_service(service_url: str, method: str, path: str) -> HTTPResponse:
    """The service's whole answer to a small request (its configuration); a 503
    JelaiError when it cannot be reached or gives no HTTP answer."""
    request = HTTPRequest(
        f"{service_url.rstrip('/')}/{path}",
        method=method,
        headers=service_headers(),
        connect_timeout=10,
        request_timeout=60,
        follow_redirects=False,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError) as error:
        raise JelaiError(503, f"{SERVICE_NAME} is not reachable ({error}).") from None
    if response.code == 599:  # tornado's code for no HTTP answer at all
        raise JelaiError(503, f"{SERVICE_NAME} did not answer; try again.")
    return response


class RelayHandler(JelaiHandler):
    """Relays `/jelai/<path>` to `<service_url>/<path>`, streaming the answer.

    `path` may hold `{}`, filled with the route's captured part
    (`ollama/api/{}` for the tutor's model requests).
    """

    _upstream: Upstream | None = None

    def initialize(self, path: str) -> None:
        self.path = path

    @tornado.web.authenticated
    async def get(self, *parts: str) -> None:
        await self._relay("GET", parts, None)

    @tornado.web.authenticated
    async def post(self, *parts: str) -> None:
        limit = max(self.jelai.telemetry.max_body_bytes, self.jelai.tutor.max_request_bytes)
        body = self.request.body or b""
        if len(body) > limit:
            self.fail(JelaiError(413, f"Request body is larger than {limit} bytes."))
            return
        await self._relay("POST", parts, body)

    @tornado.web.authenticated
    async def delete(self, *parts: str) -> None:
        await self._relay("DELETE", parts, None)

    def on_connection_close(self) -> None:
        if self._upstream is not None:
            self._upstream.stop()

    async def _relay(self, method: str, parts: tuple[str, ...], body: bytes | None) -> None:
        query = urlencode(
            [
                (name, self.decode_argument(value, name=name))
                for name, values in self.request.query_arguments.items()
                for value in values
            ]
        )
        headers = {
            **service_headers(),
            **{
                name: self.request.headers[name]
                for name in ("X-Jelai-Notebook", "X-Jelai-Session")
                if name in self.request.headers
            },
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        path = self.path.format(*parts) + (f"?{query}" if query else "")
        self._upstream = upstream = Upstream(
            self.jelai.config.service_url,
            path,
            method,
            body,
            self.jelai.upstream,
            headers=headers,
            connect_timeout=self.jelai.tutor.connect_timeout,
            read_timeout=self.jelai.tutor.read_timeout,
            name=SERVICE_NAME,
        )
        try:
            status, content_type = await upstream.open()
        except UpstreamError as error:
            upstream.close()
            if not upstream.stopped:  # the log has the service's address (`upstream.py`)
                message = f"{error.message} Nothing was lost: the browser sends again."
                self.fail(JelaiError(503 if error.status == 502 else error.status, message))
            return
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        for name in PASSED_HEADERS:
            if name in upstream.headers:
                self.set_header(name, upstream.headers[name])
        try:
            async for chunk in upstream.chunks():
                self.write(chunk)
                await self.flush()
        except UpstreamError as error:
            # Mid-answer: a streamed reply's client reads an error line.
            self.write(json.dumps({"error": error.message}).encode() + b"\n")
        except StreamClosedError:
            upstream.stop()
            return
        finally:
            upstream.close()
        self.reply(b"", content_type)
