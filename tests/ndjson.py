"""Reads the tutor's streamed replies as the browser's client does: Ollama's
NDJSON, one JSON object a line, each word in a `done: false` line and a
last line that is `done` (or an `error`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPResponse

Fetch = Callable[..., Awaitable[HTTPResponse]]
Line = dict[str, Any]


def ndjson_lines(lines: Iterable[bytes]) -> Iterator[Line]:
    """Each line of a reply as JSON, blank lines left out; `lines` may be a
    whole body's `splitlines()` or a streamed response's `iter_lines()`."""
    return (json.loads(line) for line in lines if line.strip())


def reply_text(lines: Iterable[Line]) -> str:
    """The reply as the tutor panel puts it together."""
    return "".join(line["message"]["content"] for line in lines if "message" in line)


class NdjsonStream:
    """A tornado `streaming_callback` that reads each line as soon as it is whole,
    and hands it to `on_line`."""

    def __init__(self, on_line: Callable[[Line], None] | None = None) -> None:
        self.lines: list[Line] = []
        self.raw = b""  # every byte received (a refusal's JSON is no line)
        self.pieces = 0  # how many pieces the bytes arrived in
        self._on_line = on_line
        self._pending = b""

    def __call__(self, data: bytes) -> None:
        self.raw += data
        self.pieces += 1
        self._pending += data
        *complete, self._pending = self._pending.split(b"\n")
        for line in ndjson_lines(complete):
            self.lines.append(line)
            if self._on_line:
                self._on_line(line)

    def finish(self) -> list[Line]:
        """The lines of a reply that has ended, which it did after a whole line."""
        assert self._pending == b"", self.raw[-200:]
        return self.lines


async def post_chat(
    jp_fetch: Fetch,
    body: str | bytes,
    headers: dict[str, str],
    reply: NdjsonStream | None = None,
    **fetch: Any,
) -> HTTPResponse:
    """A question to the Jupyter server under test on the tutor's route; `reply`
    reads the stream as it arrives, to its end (without it, the body is read whole)."""
    response = await jp_fetch(
        "jelai",
        "ollama",
        "api",
        "chat",
        method="POST",
        body=body,
        headers=headers,
        streaming_callback=reply,
        **fetch,
    )
    if reply is not None:
        reply.finish()
    return response


async def open_chat(
    port: int, base_url: str, headers: dict[str, str], body: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A question on a bare socket, so the test decides when the browser hangs up."""
    path = url_path_join(base_url, "jelai/ollama/api/chat")
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
    return reader, writer


async def read_words(reader: asyncio.StreamReader, count: int, timeout: float) -> bytes:
    """Reads a bare socket's reply until `count` words (`done: false` lines) have
    come, each read within `timeout` seconds; what came."""
    received = b""
    while received.count(b'"done":false') < count:
        more = await asyncio.wait_for(reader.read(4096), timeout)
        assert more, received
        received += more
    return received
