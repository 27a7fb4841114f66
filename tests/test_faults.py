"""Bad days: the server killed mid-session, the model server killed mid-reply,
a data folder that cannot be written or a disk that is full.

What must hold: every event the browser sent is stored exactly once in the
end, the student sees a clear error instead of a hang, a reply cut off is
kept and marked, and a refused write leaves nothing behind and answers 503,
which the browser's sink keeps queueing and retries (it drops a batch only
on 400 or 413).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets.config import Config

from jelai.server.app import JelaiContext
from jelai.store import EventStore
from tests.conftest import Stores
from tests.fake_ollama import reply_for, tokenize
from tests.ndjson import NdjsonStream, post_chat

EventFactory = Callable[..., dict[str, Any]]
Fetch = Callable[..., Any]
REPO = Path(__file__).resolve().parent.parent
TOKEN = "fault-test-token"
GUARD = 30  # seconds: bounds every wait, so a hang fails the test instead of stalling it
QUESTION = "Why does my loop never stop?"
NOTEBOOK = "week 1/faults.ipynb"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, process: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + GUARD
    while not ready():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not ready within {GUARD} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ------------------------------------------------ a Jupyter server of its own


class JupyterProcess:
    """`jupyter server` with jelai, in a subprocess the test may kill."""

    def __init__(self, home: Path, data_dir: Path, store_url: str = "") -> None:
        self.home = home
        self.data_dir = data_dir
        self.store_url = store_url  # empty: SQLite in data_dir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        config = home / "config"
        config.mkdir(parents=True, exist_ok=True)
        (home / "root").mkdir(exist_ok=True)
        # Only jelai: the other extensions installed here would slow every start.
        extensions = {
            "jelai": True,
            "jupyterlab": False,
            "jupyter_lsp": False,
            "jupyter_server_terminals": False,
            "notebook_shim": False,
        }
        settings = {"ServerApp": {"jpserver_extensions": extensions}}
        (config / "jupyter_server_config.json").write_text(json.dumps(settings))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")},
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        }

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",  # restart on the same port, as the browser expects
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={self.home / 'root'}",
            f"--Jelai.data_dir={self.data_dir}",
            f"--Jelai.store_url={self.store_url}",
            "--ServerApp.log_level=WARN",
        ]
        with open(self.home / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._answers, "jupyter server", self.process)

    def _answers(self) -> bool:
        try:
            return self.request("GET", "/jelai/config", timeout=2)[0] == 200
        except OSError:
            return False

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 10
    ) -> tuple[int, Any]:
        """One request on a fresh connection; OSError if the server is not there."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None if body is None else json.dumps(body)
            headers = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json"}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except http.client.HTTPException as error:  # the answer was cut off
            raise ConnectionError(str(error)) from error
        finally:
            connection.close()

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=GUARD)

    def close(self) -> None:
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def jupyter(tmp_path: Path, stores: Stores) -> Iterator[JupyterProcess]:
    """A server storing in SQLite (in its data folder) or in a PostgreSQL database."""
    server = JupyterProcess(tmp_path / "server", tmp_path / "jelai-data", stores.url or "")
    yield server
    server.close()


def test_a_server_killed_mid_session_keeps_every_event_exactly_once(
    jupyter: JupyterProcess, make_event: EventFactory
) -> None:
    events = [make_event(notebook=NOTEBOOK) for _ in range(1_000)]
    batches = [events[i : i + 20] for i in range(0, len(events), 20)]
    answers: dict[int, dict[str, int]] = {}  # batch number -> the server's answer
    lock = threading.Lock()
    jupyter.start()

    def send(number: int) -> None:
        """One batch, as the browser's sink sends it; a batch without an answer stays queued."""
        try:
            status, answer = jupyter.request("POST", "/jelai/events", {"events": batches[number]})
        except OSError:
            return
        assert status == 200, answer
        with lock:
            answers[number] = answer
            # Kill the server once half the batches are acknowledged, while others
            # are still in flight: some committed, some not, some answers lost.
            if len(answers) == len(batches) // 2:
                jupyter.kill()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(send, range(len(batches))))

    acknowledged = dict(answers)
    assert jupyter.process is not None and jupyter.process.returncode == -signal.SIGKILL
    assert len(batches) // 2 <= len(acknowledged) < len(batches)

    jupyter.start()  # the same data folder, the same port
    unanswered = [n for n in range(len(batches)) if n not in acknowledged]
    retried = sorted(acknowledged)[::5]  # answered, but the page never saw it
    for number in unanswered + retried:
        status, answer = jupyter.request("POST", "/jelai/events", {"events": batches[number]})
        assert status == 200, answer
        if number in acknowledged:
            assert answer == {"stored": 0, "duplicates": 20, "dropped": 0}
        else:
            # Duplicates here were stored just before the kill, their answer lost.
            assert answer["stored"] + answer["duplicates"] == 20 and answer["dropped"] == 0

    # Every event is in the store once: through the API the tutor reads, and in
    # the database, where the summaries count each once too.
    status, body = jupyter.request("GET", f"/jelai/events?notebook={quote(NOTEBOOK)}")
    assert status == 200
    assert sorted(e["id"] for e in body["events"]) == sorted(e["id"] for e in events)
    store = EventStore(jupyter.store_url or jupyter.data_dir / "events.sqlite3")
    with store.engine.connect() as db:
        counts = db.execute(sa.text("SELECT count(*), count(DISTINCT id) FROM events")).one()
        assert tuple(counts) == (1_000, 1_000)
        assert db.execute(sa.text("SELECT sum(events) FROM activity")).scalar() == 1_000
        assert db.execute(sa.text("SELECT sum(runs) FROM executions")).scalar() == 1_000
        if store.path is not None:
            assert db.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    store.close()


# ------------------------------------------- a model server killed mid-reply


@pytest.fixture
def model_server() -> Iterator[tuple[subprocess.Popen, str]]:
    """The fake Ollama in a process of its own, holding each reply after 5 tokens."""
    port = free_port()
    command = [sys.executable, str(REPO / "tests" / "fake_ollama.py")]
    command += ["--port", str(port), "--delay", "0", "--hold-after", "5"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_until(listening, "fake Ollama", process)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def jp_server_config(jp_server_config: Config, request: pytest.FixtureRequest) -> Config:
    if "model_server" in request.fixturenames:
        _, url = request.getfixturevalue("model_server")
        jp_server_config.JelaiTutor.ollama_url = url
        jp_server_config.JelaiTutor.connect_timeout = 5.0
    return jp_server_config


def chat_headers() -> dict[str, str]:
    return {"X-Jelai-Notebook": quote(NOTEBOOK, safe=""), "X-Jelai-Session": "page-3"}


async def exchanges(jp_fetch: Fetch) -> list[dict[str, Any]]:
    params = {"notebook": NOTEBOOK, "type": "chat.exchange"}
    return json.loads((await jp_fetch("jelai", "events", params=params)).body)["events"]


async def refused(request: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await asyncio.wait_for(request, GUARD)
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)


def chat(jp_fetch: Fetch, reply: NdjsonStream | None = None) -> Any:
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": QUESTION}]}
    return post_chat(jp_fetch, json.dumps(body), chat_headers(), reply, request_timeout=GUARD)


async def test_a_model_server_killed_mid_reply_ends_the_stream_with_an_error_and_keeps_the_part(
    jp_fetch: Fetch, model_server: tuple[subprocess.Popen, str]
) -> None:
    process, url = model_server

    def kill_after_five(_: dict[str, Any]) -> None:
        if len(reply.lines) == 5 and process.poll() is None:  # the model is held after 5 tokens
            process.send_signal(signal.SIGKILL)

    reply = NdjsonStream(kill_after_five)
    response = await asyncio.wait_for(chat(jp_fetch, reply), GUARD)
    assert response.code == 200
    lines = reply.lines
    tokens = tokenize(reply_for(QUESTION))[:5]
    assert [line["message"]["content"] for line in lines[:5]] == tokens
    # The browser's client ends on this line and the panel shows it.
    assert lines[5:] == [{"error": "The model server broke off the reply."}]
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed"
    assert event["data"]["reply"] == "".join(tokens)
    assert event["data"]["error"] == lines[-1]["error"]

    # With the model server gone, the next question fails at once, and is recorded.
    status, error = await refused(chat(jp_fetch))
    assert (status, error["error"]) == (502, "The model server is not reachable.")
    status, _ = await refused(jp_fetch("jelai", "ollama", "api", "tags", request_timeout=GUARD))
    assert status == 502
    assert [e["data"]["status"] for e in await exchanges(jp_fetch)] == ["failed", "failed"]


async def test_a_model_server_killed_before_the_first_token_answers_502(
    jp_fetch: Fetch, model_server: tuple[subprocess.Popen, str]
) -> None:
    process, url = model_server
    client = AsyncHTTPClient()
    await client.fetch(f"{url}/_fake/config", method="POST", body=json.dumps({"hold_after": 0}))
    reply = asyncio.ensure_future(refused(chat(jp_fetch)))

    async def asked() -> bool:
        seen = json.loads((await client.fetch(f"{url}/_fake/requests")).body)["requests"]
        return any(r["path"] == "/api/chat" for r in seen)

    deadline = time.monotonic() + GUARD
    while not await asked():
        assert time.monotonic() < deadline, "the chat never reached the model server"
        await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    status, error = await reply
    assert status == 502
    assert error["error"] == "The model server closed the connection unanswered."
    [event] = await exchanges(jp_fetch)
    assert event["data"]["status"] == "failed" and event["data"]["reply"] == ""


# ------------------------------------ a data folder that cannot be written


def post(jp_fetch: Fetch, events: list[dict[str, Any]]) -> Any:
    return jp_fetch("jelai", "events", method="POST", body=json.dumps({"events": events}))


def stored_ids(store_file: Path) -> list[str]:
    if not store_file.is_file():
        return []
    with sqlite3.connect(store_file) as db:
        return [row[0] for row in db.execute("SELECT id FROM events")]


def block_with_a_file(data_dir: Path) -> Callable[[], None]:
    """A file where the data folder should be: no account, root included, can write there."""
    data_dir.write_text("in the way")
    return data_dir.unlink


def block_with_a_folder(data_dir: Path) -> Callable[[], None]:
    """A folder where the database file should be: SQLite cannot open it."""
    (data_dir / "events.sqlite3").mkdir(parents=True)
    return (data_dir / "events.sqlite3").rmdir


@pytest.mark.parametrize("block", [block_with_a_file, block_with_a_folder])
async def test_an_unwritable_data_folder_answers_503_until_it_is_fixed(
    jp_fetch: Fetch,
    jelai_data_dir: Path,
    make_event: EventFactory,
    block: Callable[[Path], Callable[[], None]],
) -> None:
    fix = block(jelai_data_dir)
    batch = [make_event(notebook=NOTEBOOK) for _ in range(5)]
    for _ in range(3):  # the browser keeps the batch and retries with backoff
        status, error = await refused(post(jp_fetch, batch))
        assert status == 503  # not 400 or 413, on which the browser would drop the batch
        assert error["error"].startswith(f"jelai cannot write to {jelai_data_dir}")
    fix()
    response = await post(jp_fetch, batch)
    assert json.loads(response.body) == {"stored": 5, "duplicates": 0, "dropped": 0}
    assert sorted(stored_ids(jelai_data_dir / "events.sqlite3")) == sorted(e["id"] for e in batch)


async def test_a_full_disk_answers_503_stores_nothing_of_the_batch_and_the_retry_succeeds(
    jp_fetch: Fetch, jp_serverapp: Any, make_event: EventFactory
) -> None:
    context: JelaiContext = jp_serverapp.web_app.settings["jelai"]
    store_file = context.store.path
    assert store_file is not None
    first = [make_event(notebook=NOTEBOOK) for _ in range(3)]
    await post(jp_fetch, first)
    # A batch of 50 events with some source in each: the first rows fit in the
    # pages the store already has, the rest need new ones.
    batch = [
        make_event(notebook=NOTEBOOK, data={"source": f"x = {i}\n" * 60, "success": True})
        for i in range(50)
    ]

    def fill_the_disk() -> None:
        # SQLite's own limit on the file's size: it fails with SQLITE_FULL, the
        # error a full disk gives, on the connection the server writes with.
        with context.store.engine.connect() as db:
            db.exec_driver_sql("PRAGMA max_page_count = 1")  # i.e. the pages in use now

    for _ in range(2):  # while the disk stays full, every retry is refused the same way
        fill_the_disk()
        status, error = await refused(post(jp_fetch, batch))
        assert status == 503
        assert error["error"] == (
            f"jelai cannot write to {store_file.parent}: database or disk is full"
        )
        # Nothing of the batch is stored, not even the rows that fitted.
        assert sorted(stored_ids(store_file)) == sorted(e["id"] for e in first)

    # Space freed: the same batch, retried, is stored whole and once.
    response = await post(jp_fetch, batch)
    assert json.loads(response.body) == {"stored": 50, "duplicates": 0, "dropped": 0}
    expected = sorted(e["id"] for e in first + batch)
    assert sorted(stored_ids(store_file)) == expected
    params = {"notebook": NOTEBOOK}
    read = json.loads((await jp_fetch("jelai", "events", params=params)).body)["events"]
    assert sorted(e["id"] for e in read) == expected
