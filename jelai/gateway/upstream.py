"""One HTTP request to the model server (or, from a user's server in hub
mode, to the course's jelai service), read chunk by chunk as it arrives.

Built on tornado's HTTP/1.1 client connection rather than AsyncHTTPClient
because the proxy must close the request at any moment (the student
pressed stop) and give up when the server goes quiet between two chunks;
AsyncHTTPClient can do neither while a body is streaming. A connection
whose reply ended cleanly is kept open for the next request (HTTP
keep-alive), so a question does not wait for a new TCP or TLS handshake.

Its errors name the server by the label it is given (`name`), never by its
URL: they reach the student, in the answer and in the exchange's record.
The log, which staff read, gets the server's scheme, host and port as well,
and the reason; no credentials written into the URL (`http://user:key@host`)
appear in either.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.httputil import HTTPHeaders, HTTPMessageDelegate, RequestStartLine, ResponseStartLine
from tornado.iostream import IOStream, StreamClosedError
from tornado.tcpclient import TCPClient

_END = b""  # queued when the reply is complete
_PORTS = {"http": 80, "https": 443}
log = logging.getLogger("jelai.gateway")


class UpstreamError(Exception):
    """The model server could not be reached, went quiet or broke off.

    `message` may reach the student: it names the server by its label only.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Unreachable(UpstreamError):
    """No connection could be made: the request never left."""


Address = tuple[str, str, int]  # scheme, host, port


def address_of(url: str) -> str:
    """Where `url` points, for the log: scheme, host and port, without the
    credentials, path or query it may hold."""
    parts = urlsplit(url)
    try:
        port = parts.port or _PORTS.get(parts.scheme)
    except ValueError:  # a port that is no number
        port = None
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


class IdleConnections:
    """Connections to the model server whose last reply ended cleanly, ready
    for the next request. One per server process, shared by every student."""

    def __init__(self, limit: int = 16) -> None:
        self._idle: dict[Address, list[IOStream]] = {}
        self._limit = limit

    def take(self, address: Address) -> IOStream | None:
        streams = self._idle.get(address, [])
        while streams:
            stream = streams.pop()
            stream.set_close_callback(None)
            if not stream.closed():
                return stream
        return None

    def give(self, address: Address, stream: IOStream) -> None:
        streams = self._idle.setdefault(address, [])
        if stream.closed() or len(streams) >= self._limit:
            stream.close()
            return
        streams.append(stream)
        # Watched while idle, so one the server closes is dropped at once.
        stream.set_close_callback(lambda: self._drop(address, stream))

    def _drop(self, address: Address, stream: IOStream) -> None:
        streams = self._idle.get(address, [])
        if stream in streams:
            streams.remove(stream)


class _Reader(HTTPMessageDelegate):
    """Hands the response head and body chunks over to `Upstream`."""

    def __init__(self) -> None:
        # None when the connection closed before the response head arrived.
        self.head: asyncio.Future[tuple[int, HTTPHeaders] | None] = asyncio.Future()
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.complete = False  # the whole reply arrived
        self.keep_alive = False  # and the server will take another request after it

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> None:
        assert isinstance(start_line, ResponseStartLine)
        self.keep_alive = (
            start_line.version == "HTTP/1.1"
            and headers.get("Connection", "").lower() != "close"
            and ("Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", ""))
        )
        if not self.head.done():
            self.head.set_result((start_line.code, headers))

    def data_received(self, chunk: bytes) -> None:
        if chunk:
            self.chunks.put_nowait(chunk)

    def finish(self) -> None:
        self.complete = True
        self.chunks.put_nowait(_END)

    def on_connection_close(self) -> None:
        if not self.head.done():
            self.head.set_result(None)
        self.chunks.put_nowait(None)  # closed before the reply was complete


class Upstream:
    """A request to `base_url` + `path`; `name` says what it is in error
    messages (a label: never its URL)."""

    def __init__(
        self,
        base_url: str,
        path: str,
        method: str,
        body: bytes | None,
        idle: IdleConnections,
        *,
        headers: dict[str, str],
        connect_timeout: float,
        read_timeout: float,
        name: str = "The model server",
    ) -> None:
        base = urlsplit(base_url.rstrip("/"))
        path, _, query = path.partition("?")
        self._url = base._replace(path=f"{base.path}/{path.lstrip('/')}", query=query)
        scheme = self._url.scheme
        self._address = (scheme, self._url.hostname or "", self._url.port or _PORTS.get(scheme, 0))
        self._idle = idle
        # Where it is, for the log only.
        self.address = address_of(base_url)
        self._name = name
        self._method = method
        self._body = body
        self._headers = dict(headers)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._stream: IOStream | None = None
        self._reader = _Reader()
        self._reading: asyncio.Future[Any] | None = None
        self.stopped = False
        # The reply's headers, once `open()` has returned.
        self.headers = HTTPHeaders()

    async def open(self) -> tuple[int, str]:
        """Sends the request and returns the reply's status and type."""
        kept = self._idle.take(self._address)
        head = None if kept is None else await self._send(kept)
        if head is None and not self.stopped:
            if kept is not None:
                # The server closed the kept connection as the request went out,
                # before reading it: send it once more on a new one.
                self._reader = _Reader()
            head = await self._send(await self._connect())
        if head is None:
            if self.stopped:
                raise UpstreamError(499, "The request was stopped.")
            raise self._error(502, "closed the connection unanswered")
        code, reply_headers = head
        self.headers = reply_headers
        return code, reply_headers.get("Content-Type", "application/json")

    async def _send(self, stream: IOStream) -> tuple[int, HTTPHeaders] | None:
        """Sends the request on `stream` and waits for the reply's head (None if
        the connection closed first)."""
        if self.stopped:
            stream.close()
            return None
        self._stream = stream
        # The head and the body go out as two writes: without this, Nagle's
        # algorithm holds the body back until the head is acknowledged.
        stream.set_nodelay(True)
        connection = HTTP1Connection(stream, True, HTTP1ConnectionParameters(decompress=False))
        headers = HTTPHeaders(
            {
                "Host": self._url.netloc.rsplit("@", 1)[-1],
                "User-Agent": "jelai",
                "Accept": "application/x-ndjson, application/json",
                **self._headers,
            }
        )
        if self._body is not None:
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(self._body))
        path = self._url.path + (f"?{self._url.query}" if self._url.query else "")
        connection.write_headers(RequestStartLine(self._method, path, "HTTP/1.1"), headers)
        if self._body is not None:
            connection.write(self._body)
        connection.finish()
        self._reading = asyncio.ensure_future(self._read(connection, self._reader))
        try:
            return await asyncio.wait_for(asyncio.shield(self._reader.head), self._read_timeout)
        except asyncio.TimeoutError:
            self.close()
            raise self._quiet() from None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The reply body as it arrives; stops quietly once `stop()` was called."""
        while True:
            try:
                chunk = await asyncio.wait_for(self._reader.chunks.get(), self._read_timeout)
            except asyncio.TimeoutError:
                self.close()
                raise self._quiet() from None
            if chunk is _END or self.stopped:
                return
            if chunk is None:
                raise self._error(502, "broke off the reply")
            yield chunk

    def stop(self) -> None:
        """Closes the request early; the model server sees the hang-up."""
        self.stopped = True
        self.close()

    def close(self) -> None:
        # A complete reply's connection is kept (or closed) by `_read`.
        if self._stream is not None and not self._reader.complete:
            self._stream.close()
        if self.stopped:
            self._reader.chunks.put_nowait(None)  # wake a reader waiting for a chunk

    async def _connect(self) -> IOStream:
        scheme, host, port = self._url.scheme, self._url.hostname, self._url.port
        if scheme not in ("http", "https") or not host:
            raise self._error(502, "has a URL that is not http(s)")
        try:
            return await TCPClient().connect(
                host,
                port or (443 if scheme == "https" else 80),
                ssl_options=ssl.create_default_context() if scheme == "https" else None,
                timeout=timedelta(seconds=self._connect_timeout),
            )
        except TimeoutError:
            reason = f"no answer within {self._connect_timeout:g} s"
        except (OSError, StreamClosedError) as err:
            reason = str(getattr(err, "real_error", None) or err) or type(err).__name__
        raise self._error(502, "is not reachable", reason, Unreachable)

    async def _read(self, connection: HTTP1Connection, reader: _Reader) -> None:
        try:
            await connection.read_response(reader)
        except Exception:  # closed or malformed: the reader ends either way
            reader.on_connection_close()
            return
        if reader.complete and connection.stream is not None:
            stream = connection.detach()
            if reader.keep_alive:
                self._idle.give(self._address, stream)
            else:
                stream.close()

    def _quiet(self) -> UpstreamError:
        what = f"sent nothing for {self._read_timeout:g} s and the request was abandoned"
        return self._error(504, what)

    def _error(
        self,
        status: int,
        what: str,
        reason: str = "",
        kind: type[UpstreamError] = UpstreamError,
    ) -> UpstreamError:
        """The error for whoever asked ("<name> <what>."), once the log has the
        server's address and the reason too."""
        because = f" ({reason})" if reason else ""
        log.warning("jelai: %s at %s %s%s.", self._name, self.address, what, because)
        return kind(status, f"{self._name} {what}.")
