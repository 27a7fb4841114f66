"""10. What the whole course chain adds to a streamed chat reply.

A real JupyterHub (`tests/hub/hubtools.running_hub` with the hub tests'
`tests/hub/jupyterhub_config.py`) runs `jelai service` as a hub-managed
service and starts each student's server through the hub, with a token the
student asked the hub for. A question then goes the way a student's browser
sends it: to the hub's proxy (configurable-http-proxy) at
`/user/<name>/jelai/ollama/api/chat`, to the student's own server, which in
hub mode relays it to the service, whose gateway sends it to the model
server (the hub tests' fake Ollama, `tests/fake_ollama.py`). The reference,
in the same run, is the same fake model server asked directly.

One at a time, direct and chained requests alternate so that any drift of
the machine hits both alike; then 50 streams run at once each way, spread
over the students' servers, twice. The service's fair queue is raised above
50 (`--JelaiService.max_concurrent_generations`) and its limit per student
lifted (`--JelaiService.max_generations_per_student=0`): with the defaults
(4, and 2 per student) most of the 50 at once would wait their turn, and
this row measures what the hops add, not the queue (the queue has row 7).
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

import pytest
from client import Connection, Response
from proxy import DELAY_CONCURRENT, DELAY_SEQUENTIAL, Route, one_at_a_time, stream
from report import Row, at_most, failed, median, ms, percentile
from servers import ROOT, http_json

sys.path.insert(0, str(ROOT))

from tests.hub.hubtools import Hub, course_settings, running_hub, start_course  # noqa: E402

WIDTH = 50
STUDENTS = ("ana", "bob", "cem", "dia")  # 50 at once spread over these students' servers
QUEUE = 100  # the service's max_concurrent_generations for this row: above WIDTH
ADDED_MEDIAN_MS = 10.0
ADDED_P99_MS = 50.0
AT_ONCE_RATIO = 2.0


def chained(hub: Hub, user: str, token: str) -> Route:
    """`user`'s way to the model server, as their browser's tutor asks."""
    port = int(hub.url.rsplit(":", 1)[1])
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"token {token}",
        "X-Jelai-Notebook": "bench.ipynb",
        "X-Jelai-Session": f"bench-{user}",
    }
    return Route(port, f"/user/{user}/jelai/ollama/api/chat", headers)


async def at_once(ways: list[Route], count: int, width: int) -> tuple[float, int, list[Response]]:
    """`count` requests over `width` parallel connections, the connections shared
    out over `ways` in turn: wall time, errors, answers."""
    loop = asyncio.get_running_loop()
    pending = iter(range(count))
    done: list[Response] = []
    errors = 0

    async def worker(way: Route) -> None:
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
    chosen = itertools.islice(itertools.cycle(ways), width)
    await asyncio.gather(*(worker(way) for way in chosen))
    return loop.time() - began, errors, done


def settings(root: Path) -> dict[str, object]:
    """The hub's course: `STUDENTS` only, the service's queue raised to `QUEUE`
    and its limit per student lifted (0), so no question waits its turn."""
    args = [
        f"--JelaiService.max_concurrent_generations={QUEUE}",
        "--JelaiService.max_generations_per_student=0",
    ]
    return course_settings(root, STUDENTS, args=args)


def measure(hub: Hub, count: int) -> list[Row]:
    tokens = start_course(hub, STUDENTS)
    ways = [chained(hub, user, token) for user, token in tokens.items()]
    model_port = int(hub.ollama_url.rsplit(":", 1)[1])
    direct = Route(model_port, "/api/chat", {"Content-Type": "application/json"})
    http_json(hub.ollama_url + "/_fake/config", {"delay": DELAY_SEQUENTIAL}, method="POST")
    d1, c1, errors1 = asyncio.run(one_at_a_time(direct, ways[0], count, warmup=10))
    http_json(hub.ollama_url + "/_fake/config", {"delay": DELAY_CONCURRENT}, method="POST")
    walls: dict[str, list[float]] = {"direct": [], "chained": []}
    errors: dict[str, int] = {"direct": 0, "chained": 0}
    samples: dict[str, list[Response]] = {"direct": [], "chained": []}
    # Each student's server and the service have answered one at a time already;
    # one warm-up round at once opens every connection the chain keeps.
    asyncio.run(at_once(ways, len(ways), len(ways)))
    for name, routes in (("direct", [direct]), ("chained", ways)) * 2:
        wall, failures, done = asyncio.run(at_once(routes, count, WIDTH))
        walls[name].append(wall)
        errors[name] += failures
        samples[name] += done
    return rows(count, d1, c1, errors1, walls, errors, samples)


def rows(
    count: int,
    d1: list[Response],
    c1: list[Response],
    errors1: int,
    walls: dict[str, list[float]],
    errors: dict[str, int],
    samples: dict[str, list[Response]],
) -> list[Row]:
    if not d1 or not c1:
        return [failed("10. course chain", f"no complete stream ({errors1} errors)")]
    ttfb_d, ttfb_c = [r.ttfb for r in d1], [r.ttfb for r in c1]
    added_median = median(ttfb_c) - median(ttfb_d)
    added_p99 = percentile(ttfb_c, 99) - percentile(ttfb_d, 99)
    wall_d, wall_c = median(walls["direct"]), median(walls["chained"])
    ratio = wall_c / wall_d
    lost = errors["chained"]
    verdict = at_most(ratio, AT_ONCE_RATIO, "x") if lost == 0 else f"MISSED: {lost} failed"
    at_once_c = [r.ttfb for r in samples["chained"]] or [0.0]
    at_once_d = [r.ttfb for r in samples["direct"]] or [0.0]
    note = f"{count} streams each way, alternating; {errors1} errors"
    hops = "browser -> hub proxy -> student's server -> service gateway -> model server"
    return [
        Row(
            f"10. course chain TTFB ({hops}), 1 at a time, median ({note})",
            ms(median(ttfb_c)),
            ms(median(ttfb_d)) + " model server direct",
            f"+{ms(added_median)}",
            f"added <= {ADDED_MEDIAN_MS:g} ms",
            at_most(added_median * 1000, ADDED_MEDIAN_MS, "ms"),
        ),
        Row(
            "10. course chain TTFB, 1 at a time, p99",
            ms(percentile(ttfb_c, 99)),
            ms(percentile(ttfb_d, 99)) + " model server direct",
            f"+{ms(added_p99)}",
            f"added <= {ADDED_P99_MS:g} ms",
            at_most(added_p99 * 1000, ADDED_P99_MS, "ms"),
        ),
        Row(
            f"10. course chain, {WIDTH} streams at once over {len(STUDENTS)} students' "
            f"servers, {count} requests ({DELAY_CONCURRENT * 1000:g} ms/token; service "
            f"queue raised to {QUEUE}, no limit per student), median of 2",
            f"{wall_c:.2f} s, {lost} errors; TTFB median {ms(median(at_once_c))}, "
            f"p99 {ms(percentile(at_once_c, 99))}",
            f"{wall_d:.2f} s direct, {errors['direct']} errors; TTFB median "
            f"{ms(median(at_once_d))}, p99 {ms(percentile(at_once_d, 99))}",
            f"{ratio:.3f}x",
            f"no errors, <= {AT_ONCE_RATIO:g}x",
            verdict,
        ),
    ]


def run(folder: Path, quick: bool) -> list[Row]:
    count = 50 if quick else 200
    root = folder.absolute() / "chain-hub"
    root.mkdir(parents=True)
    try:
        with running_hub(root, settings(root)) as hub:
            return measure(hub, count)
    except (Exception, pytest.fail.Exception) as error:  # the hub or a server did not start
        return [failed("10. course chain", f"{type(error).__name__}: {error}"[:300])]
