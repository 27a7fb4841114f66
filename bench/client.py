"""A minimal HTTP/1.1 client on asyncio streams, for loopback benchmarks.

Written here rather than using tornado's AsyncHTTPClient because the
benchmarks need keep-alive connections (as a browser uses them) and the
moment the first body byte arrives, and must not add a client-side queue
(AsyncHTTPClient's `max_clients`) to the figures they measure.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

TIMEOUT = 60.0  # seconds for one whole request; nothing on loopback should come close


@dataclass
class Response:
    """One answered request and when its parts arrived (perf_counter seconds)."""

    status: int
    body: bytes
    started: float
    first_byte: float  # the first byte of the body, as a student sees the first word
    ended: float
    headers: dict[str, str] = field(default_factory=dict)
    # Each piece of a streamed body and when it arrived (perf_counter seconds).
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)

    @property
    def ttfb(self) -> float:
        return self.first_byte - self.started

    @property
    def total(self) -> float:
        return self.ended - self.started


class Connection:
    """One connection to a loopback server, reused for request after request."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        return await asyncio.wait_for(self._request(method, path, body, headers or {}), TIMEOUT)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None

    async def _request(
        self, method: str, path: str, body: bytes, extra: dict[str, str]
    ) -> Response:
        started = time.perf_counter()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        head = {
            "Host": f"127.0.0.1:{self.port}",
            "Content-Length": str(len(body)),
            **self.headers,
            **extra,
        }
        lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in head.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self._writer.drain()
        response = await read_response(self._reader, started)
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response


async def read_response(reader: asyncio.StreamReader, started: float) -> Response:
    """Reads one response: fixed length, chunked, or up to the end of the stream."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    arrivals: list[tuple[float, bytes]] = []
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()  # the empty trailer
                break
            arrivals.append((time.perf_counter(), (await reader.readexactly(size + 2))[:-2]))
    elif "content-length" in headers:
        arrivals.append((0.0, await reader.readexactly(int(headers["content-length"]))))
    else:
        while chunk := await reader.read(65536):
            arrivals.append((time.perf_counter(), chunk))
    ended = time.perf_counter()
    first = next((moment for moment, _ in arrivals if moment), ended)
    body = b"".join(part for _, part in arrivals)
    return Response(status, body, started, first, ended, headers, arrivals)
