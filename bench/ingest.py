"""2. Events stored per second: jelai against jupyterlab-pioneer.

jupyterlab-pioneer (the telemetry the seed JELAI used) is installed from
PyPI into its own virtual environment under bench/.work/, never into the
project's, and runs as a server extension of a real `jupyter server` with
its file exporter. Both servers get the same events the way their own
frontends send them: pioneer one `POST /jupyterlab-pioneer/export` per
event with the exporter it configured (over 6 connections, a browser's
limit per host), jelai 50 events per `POST /jelai/events`, one batch at a
time. Request bodies are encoded before the clock starts, so the figures
are the servers' own. Halves alternate between the two, and afterwards both
stores are counted so that a fast but lossy run cannot pass.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from client import Connection
from report import Row, at_least, failed
from servers import WORK, Jupyter, http_json, jelai_server

PIONEER = "jupyterlab-pioneer"
PIONEER_VENV = WORK / "pioneer-venv"
BATCH = 50  # what jelai's browser sink sends per request
BACKLOG_BATCH = 200  # the sink's largest request, when it sends a backlog
PIONEER_WIDTH = 6
INSTALL_TIMEOUT = 600


class Unavailable(Exception):
    """jupyterlab-pioneer could not be installed or started; says why."""


def pioneer_python() -> str:
    """The pioneer venv's python, created and filled on first use."""
    python = PIONEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import jupyterlab_pioneer, jupyter_server"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return str(python)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(PIONEER_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", PIONEER],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"`{' '.join(step[-2:])}` took over {INSTALL_TIMEOUT} s") from None
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
            reason = (errors or done.stderr.strip().splitlines() or ["no output"])[-1]
            raise Unavailable(f"pip install {PIONEER} failed: {reason}")
    return str(python)


def pioneer_version(python: str) -> str:
    code = "import jupyterlab_pioneer, jupyter_server; print(jupyterlab_pioneer.__version__)"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def uuid7(ms: int) -> str:
    """A UUID of version 7 for a time, as jelai's frontend makes event ids."""
    bits = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    bits = bits & ~(0xF << 76) | (0x7 << 76)  # version 7
    bits = bits & ~(0x3 << 62) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=bits))


def events(count: int) -> list[tuple[dict, dict]]:
    """The same cell executions, one every 100 ms, as each tool's frontend describes them."""
    pairs = []
    start_ms = 1_709_287_200_000  # 2024-03-01T10:00:00Z
    for n in range(count):
        cell = {"id": f"cell-{n % 40}", "index": n % 40}
        ms = start_ms + 100 * n
        stamp = datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")
        jelai = {
            "schema_version": 1,
            "id": uuid7(ms),
            "time": stamp.replace("+00:00", "Z"),
            "session": "page-1",
            "notebook": "lab1.ipynb",
            "kernel": {"id": "k-1", "name": "python3"},
            "type": "cell.execute",
            "cell": {**cell, "type": "code"},
            "data": {"source": f"total = total + {n}", "success": True},
        }
        pioneer = {
            "eventName": "CellExecuteEvent",
            "eventTime": ms,
            "eventInfo": {"cells": [cell], "success": True, "kernelError": None},
        }
        pairs.append((jelai, pioneer))
    return pairs


def pioneer_bodies(exporter: dict, details: list[dict]) -> list[bytes]:
    """One export request per event, as pioneer's frontend sends them."""
    state = {"sessionID": "page-1", "notebookPath": "lab1.ipynb", "notebookContent": None}
    return [
        json.dumps({"eventDetail": detail, "notebookState": state, "exporter": exporter}).encode()
        for detail in details
    ]


def jelai_bodies(events: list[dict], size: int = BATCH) -> list[bytes]:
    """Batches of `size` events, as jelai's sink sends them."""
    return [
        json.dumps({"events": events[start : start + size]}).encode()
        for start in range(0, len(events), size)
    ]


async def send_pioneer(server: Jupyter, bodies: list[bytes]) -> int:
    queue = iter(bodies)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        connection = Connection(server.port, {**server.auth, "Content-Type": "application/json"})
        for body in queue:
            response = await connection.request("POST", "/jupyterlab-pioneer/export", body)
            failures += response.status != 200
        await connection.close()

    await asyncio.gather(*(worker() for _ in range(PIONEER_WIDTH)))
    return failures


async def send_jelai(server: Jupyter, bodies: list[bytes]) -> int:
    connection = Connection(server.port, {**server.auth, "Content-Type": "application/json"})
    failures = 0
    for body in bodies:
        response = await connection.request("POST", "/jelai/events", body)
        failures += response.status != 200
    await connection.close()
    return failures


def timed(work: Coroutine[Any, Any, int]) -> tuple[float, int]:
    began = time.perf_counter()
    failures = asyncio.run(work)
    return time.perf_counter() - began, failures


def pioneer_config(log: Path) -> str:
    exporter = {"type": "file_exporter", "args": {"id": "FileExporter", "path": str(log)}}
    return (
        "c.JupyterLabPioneerApp.activeEvents = "
        "[{'name': 'CellExecuteEvent', 'logWholeNotebook': False}]\n"
        f"c.JupyterLabPioneerApp.exporters = [{exporter!r}]\n"
    )


def run(folder: Path, quick: bool) -> list[Row]:
    name = f"2. event ingest vs {PIONEER}"
    try:
        python = pioneer_python()
    except Unavailable as why:
        return [failed(name, str(why))]
    count = 2_000 if quick else 20_000
    pairs = events(count)
    log = folder / "pioneer-events.log"
    pioneer = Jupyter("pioneer-server", folder, [], python=python, config=pioneer_config(log))
    jelai = None
    try:
        pioneer.launch()
        jelai = jelai_server(folder, "ingest-server", "http://127.0.0.1:9")
        config = http_json(pioneer.url + "/jupyterlab-pioneer/config", headers=pioneer.auth)
        exporter = config["exporters"][0]  # type: ignore[index]
        took = {"pioneer": 0.0, "jelai": 0.0}
        lost = {"pioneer": 0, "jelai": 0}
        half = count // 2
        for part in (pairs[:half], pairs[half:]):
            bodies = pioneer_bodies(exporter, [p for _, p in part])
            seconds, failures = timed(send_pioneer(pioneer, bodies))
            took["pioneer"] += seconds
            lost["pioneer"] += failures
            seconds, failures = timed(send_jelai(jelai, jelai_bodies([j for j, _ in part])))
            took["jelai"] += seconds
            lost["jelai"] += failures
        store = folder / "ingest-server" / "jelai-data" / "events.sqlite3"
        stored_jelai = count_jelai(store)
        # The sink sends up to BACKLOG_BATCH at once when it catches up after an outage.
        backlog = jelai_bodies([j for j, _ in events(count)], BACKLOG_BATCH)
        took_backlog, _ = timed(send_jelai(jelai, backlog))
        stored_backlog = count_jelai(store) - stored_jelai
    except (RuntimeError, OSError, KeyError, IndexError) as error:
        return [failed(name, f"{type(error).__name__}: {str(error)[:200]}")]
    finally:
        if jelai is not None:
            jelai.stop()
        pioneer.stop()
    stored_pioneer = log.read_text().count('"eventName"') if log.exists() else 0
    rate_j, rate_p = count / took["jelai"], count / took["pioneer"]
    ratio = rate_j / rate_p
    complete = stored_jelai == count and lost["jelai"] == 0
    verdict = at_least(ratio, 20, "x") if complete else f"MISSED: {stored_jelai}/{count} stored"
    return [
        Row(
            f"{name} {pioneer_version(python)}, {count:,} events, same jupyter_server",
            f"{rate_j:,.0f} events/s ({BATCH} per request, 1 at a time; SQLite WAL, "
            f"synchronous=FULL: fsync before each answer; {stored_jelai:,}/{count:,} stored)",
            f"{rate_p:,.0f} events/s pioneer (1 per request, {PIONEER_WIDTH} at once; "
            f"file_exporter appends without fsync; {stored_pioneer:,}/{count:,} written, "
            f"{lost['pioneer']} errors)",
            f"{ratio:.1f}x",
            ">= 20x, durable",
            verdict,
        ),
        Row(
            f"2. (same run) jelai at {BACKLOG_BATCH} events per request, the sink's largest",
            f"{count / took_backlog:,.0f} events/s ({stored_backlog:,}/{count:,} stored)",
            f"{rate_p:,.0f} events/s pioneer, as above",
            f"{count / took_backlog / rate_p:.1f}x",
            "(reported)",
            "-",
        ),
    ]


def count_jelai(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()
