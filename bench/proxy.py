"""1. What the jelai proxy adds to a streamed chat reply.

The same fake Ollama answers twice: directly, and through a real Jupyter
server's `/jelai/ollama/api/chat`. One at a time, direct and proxied
requests alternate so that any drift of the machine hits both alike; then
50 streams run at once against each. Time to first byte is the first byte
of the reply's body (the first word a student sees); total is the whole
stream, up to its last chunk.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from client import Connection, Response
from report import Row, at_most, median, ms, percentile
from servers import fake_ollama, http_json, jelai_server

CHAT = json.dumps(
    {
        "model": "llama3.1:8b",
        "messages": [{"role": "user", "content": "Why does my loop never end?"}],
        "stream": True,
    }
).encode()
# One at a time the per-token delay only stretches every stream alike, so a
# short one keeps the run brief; at 50 at once it is a fast real model's pace
# (50 tokens/s), so the test is 50 students reading, not a CPU race.
DELAY_SEQUENTIAL = 0.002
DELAY_CONCURRENT = 0.02
WIDTH = 50


@dataclass
class Route:
    """One way to the model server: its port, URL path and headers."""

    port: int
    path: str
    headers: dict[str, str]
    connection: Connection = field(init=False)

    def __post_init__(self) -> None:
        self.connection = Connection(self.port, self.headers)


def ok(response: Response) -> bool:
    # A complete reply ends with Ollama's statistics line.
    return response.status == 200 and b'"done":true' in response.body


async def stream(way: Route, connection: Connection | None = None) -> Response | None:
    try:
        response = await (connection or way.connection).request("POST", way.path, CHAT)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
        await (connection or way.connection).close()
        return None
    return response if ok(response) else None


async def one_at_a_time(
    direct: Route, proxied: Route, count: int, warmup: int
) -> tuple[list[Response], list[Response], int]:
    """`count` requests each way, alternating which goes first."""
    got: dict[int, list[Response]] = {0: [], 1: []}
    errors = 0
    for i in range(warmup + count):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            response = await stream((direct, proxied)[which])
            if response is None:
                errors += 1
            elif i >= warmup:
                got[which].append(response)
    await direct.connection.close()
    await proxied.connection.close()
    return got[0], got[1], errors


async def at_once(way: Route, count: int, width: int) -> tuple[float, int, list[Response]]:
    """`count` requests over `width` parallel connections: wall time, errors."""
    loop = asyncio.get_running_loop()
    pending = iter(range(count))
    done: list[Response] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        connection = Connection(way.port, way.headers)
        for _ in pending:
            response = await stream(way, connection)
            if response is None:
                errors += 1
            else:
                done.append(response)
        await connection.close()

    began = loop.time()
    await asyncio.gather(*(worker() for _ in range(width)))
    return loop.time() - began, errors, done


def run(folder: Path, quick: bool) -> list[Row]:
    count = 50 if quick else 200
    fake = fake_ollama(folder / "proxy", DELAY_SEQUENTIAL)
    server = None
    try:
        server = jelai_server(folder, "proxy-server", fake.url)
        headers = {"Content-Type": "application/json"}
        direct = Route(fake.port, "/api/chat", headers)
        proxied_headers = {
            **headers,
            **server.auth,
            "X-Jelai-Notebook": "bench.ipynb",
            "X-Jelai-Session": "bench",
        }
        proxied = Route(server.port, "/jelai/ollama/api/chat", proxied_headers)
        d1, p1, errors1 = asyncio.run(one_at_a_time(direct, proxied, count, warmup=10))
        http_json(fake.url + "/_fake/config", {"delay": DELAY_CONCURRENT}, method="POST")
        walls: dict[str, list[float]] = {"direct": [], "proxied": []}
        errors: dict[str, int] = {"direct": 0, "proxied": 0}
        samples: dict[str, list[Response]] = {"direct": [], "proxied": []}
        for name, way in (("direct", direct), ("proxied", proxied)) * 2:
            wall, failures, done = asyncio.run(at_once(way, count, WIDTH))
            walls[name].append(wall)
            errors[name] += failures
            samples[name] += done
    finally:
        if server is not None:
            server.stop()
        fake.stop()
    return rows(count, d1, p1, errors1, walls, errors, samples)


def rows(
    count: int,
    d1: list[Response],
    p1: list[Response],
    errors1: int,
    walls: dict[str, list[float]],
    errors: dict[str, int],
    samples: dict[str, list[Response]],
) -> list[Row]:
    if not d1 or not p1:
        return [Row("1. proxy, one at a time", "no complete stream", "", "", "", "NOT RUN")]
    ttfb_d, ttfb_p = [r.ttfb for r in d1], [r.ttfb for r in p1]
    total_d, total_p = [r.total for r in d1], [r.total for r in p1]
    added_median = median(ttfb_p) - median(ttfb_d)
    added_p99 = percentile(ttfb_p, 99) - percentile(ttfb_d, 99)
    added_total = median(total_p) - median(total_d)
    wall_d, wall_p = median(walls["direct"]), median(walls["proxied"])
    ratio = wall_p / wall_d
    lost = errors["proxied"]
    verdict = at_most(ratio, 1.5, "x") if lost == 0 else f"MISSED: {lost} failed streams"
    c50_ttfb = f"TTFB median {ms(median([r.ttfb for r in samples['proxied']] or [0]))}"
    c50_ref = f"TTFB median {ms(median([r.ttfb for r in samples['direct']] or [0]))}"
    note = f"{count} streams each way, alternating; {errors1} errors"
    return [
        Row(
            f"1. proxy TTFB, 1 at a time, median ({note})",
            ms(median(ttfb_p)),
            ms(median(ttfb_d)) + " direct",
            f"+{ms(added_median)}",
            "added <= 2 ms",
            at_most(added_median * 1000, 2, "ms"),
        ),
        Row(
            "1. proxy TTFB, 1 at a time, p99",
            ms(percentile(ttfb_p, 99)),
            ms(percentile(ttfb_d, 99)) + " direct",
            f"+{ms(added_p99)}",
            "added <= 10 ms",
            at_most(added_p99 * 1000, 10, "ms"),
        ),
        Row(
            f"1. proxy total stream, 1 at a time, median ({DELAY_SEQUENTIAL * 1000:g} ms/token)",
            ms(median(total_p)),
            ms(median(total_d)) + " direct",
            f"+{ms(added_total)} ({median(total_p) / median(total_d):.3f}x)",
            "(reported)",
            "-",
        ),
        Row(
            f"1. proxy, {WIDTH} streams at once, {count} requests "
            f"({DELAY_CONCURRENT * 1000:g} ms/token), median of 2",
            f"{wall_p:.2f} s, {lost} errors; {c50_ttfb}",
            f"{wall_d:.2f} s direct, {errors['direct']} errors; {c50_ref}",
            f"{ratio:.3f}x",
            "no errors, <= 1.5x",
            verdict,
        ),
    ]
