"""Course mode's network boundary, in a real JupyterHub: the students' servers
run in a network namespace of their own, from which the service is
reachable and the model server is not.

`netns.network_namespace()` makes the namespace and a veth pair (as root;
without root the test fails, it does not skip). The hub, its proxy and the
jelai service listen on the host's side of the pair; every user's server
runs inside the namespace (`ip netns exec`) on the other side; the fake
model server listens on the host's loopback only, with an OpenAI-compatible
upstream that asks for a key and an Ollama one. Only the service is told
where it is and what its key is, in a configuration file of its own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.hub.hubtools import (
    COURSE_MODELS,
    NOTEBOOK,
    START_SECONDS,
    STUDENTS,
    Hub,
    course_settings,
    free_port,
    running_hub,
    server_process,
    start_course,
    wait_for,
)
from tests.hub.netns import Namespace, network_namespace, remove
from tests.ndjson import ndjson_lines, reply_text

pytestmark = pytest.mark.timeout(300)

OPENAI_MODEL, OLLAMA_MODEL = COURSE_MODELS
CHAT_PATHS = {OPENAI_MODEL: "/v1/chat/completions", OLLAMA_MODEL: "/api/chat"}


@dataclass
class Course:
    """The running hub, the namespace its students' servers run in, and their tokens."""

    hub: Hub
    ns: Namespace
    model_server: str  # the fake's URL, on the host's loopback
    api_key: str
    tokens: dict[str, str]

    @property
    def model_port(self) -> str:
        return self.model_server.rsplit(":", 1)[-1]

    def secrets(self) -> list[str]:
        """What would let a student reach the model server: its addresses and its key."""
        addresses = ("127.0.0.1", "localhost", self.ns.host_address)
        return [self.api_key, *(f"{address}:{self.model_port}" for address in addresses)]

    def fake(self, method: str, action: str, **kwargs: Any) -> Any:
        """The fake model server's control endpoints (the test's, on the host)."""
        url = f"{self.model_server}/_fake/{action}"
        response = requests.request(method, url, timeout=5, **kwargs)
        response.raise_for_status()
        return response.json()

    def chats(self) -> list[dict[str, Any]]:
        """The chat requests the model server received, in order."""
        return [
            r for r in self.fake("GET", "requests")["requests"] if r["path"] in CHAT_PATHS.values()
        ]

    def ask(self, user: str, model: str, question: str) -> requests.Response:
        """The tutor's question, as the browser sends it: to the user's own server."""
        body = {"model": model, "messages": [{"role": "user", "content": question}], "stream": True}
        return self.hub.request(
            "POST",
            f"/user/{user}/jelai/ollama/api/chat",
            self.tokens[user],
            json=body,
            headers={"X-Jelai-Notebook": NOTEBOOK},
            stream=True,
        )


@pytest.fixture(scope="module")
def namespace(request: pytest.FixtureRequest) -> Iterator[Namespace]:
    with network_namespace() as ns:
        # Removed however the module ends, even if the block's own clean-up is skipped.
        request.addfinalizer(lambda: remove(ns))
        yield ns


@pytest.fixture(scope="module")
def course(namespace: Namespace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    root = tmp_path_factory.mktemp("hub-netns")
    api_key = f"sk-course-{secrets.token_hex(16)}"
    model_port = free_port()
    model_server = f"http://127.0.0.1:{model_port}"
    # The service's own file: where the model servers are, and the key.
    upstreams = [
        {"url": model_server, "api": "openai", "api_key": api_key, "models": [OPENAI_MODEL]},
        {"url": model_server, "api": "ollama", "models": [OLLAMA_MODEL]},
    ]
    service_config = root / "service-config" / "jelai_service_config.py"
    service_config.parent.mkdir()
    service_config.write_text(f"c.JelaiTutor.upstreams = {upstreams!r}\n")
    extra = course_settings(root) | {
        "netns": {"name": namespace.name, "address": namespace.address},
        "service_config": str(service_config),
    }
    key = ("--api-key", api_key)
    with running_hub(root, extra, namespace.host_address, model_port, key) as hub:
        assert hub.ollama_url == model_server
        tokens = start_course(hub)
        yield Course(hub, namespace, model_server, api_key, tokens)


def test_the_students_servers_run_in_the_namespace(course: Course) -> None:
    for user in STUDENTS:
        pid, environ = server_process(course.hub, user)
        assert course.ns.holds(pid), user
        assert environ["JELAI_SERVICE_URL"].startswith(f"http://{course.ns.host_address}:")


def test_a_students_kernel_cannot_reach_the_model_server_but_reaches_the_hub(
    course: Course,
) -> None:
    # Code a student runs in a notebook: straight to the model server, at the
    # address the service uses and at the one host address the namespace has.
    targets = {
        "loopback": f"{course.model_server}/api/version",
        "host": f"http://{course.ns.host_address}:{course.model_port}/api/version",
        "hub": "JUPYTERHUB_API_URL",
    }
    code = KERNEL_PROBE.replace("TARGETS", repr(targets))
    outcome = json.loads(run_in_kernel(course, "ana", code))
    assert outcome["hub"] == "answered 200", outcome
    for target in ("loopback", "host"):
        assert outcome[target].startswith("refused"), outcome


@pytest.mark.parametrize("model", [OPENAI_MODEL, OLLAMA_MODEL])
def test_the_tutor_streams_from_the_model_server_through_the_service(
    course: Course, model: str
) -> None:
    with course.ask("bob", model, "Why is my mean wrong?") as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        lines = list(ndjson_lines(response.iter_lines()))
    assert len(lines) > 2 and lines[-1]["done"] is True
    reply = reply_text(lines[:-1])
    assert "step by step" in reply and "Why is my mean wrong?" in reply
    # The model server answered, and the key it was given came from the service.
    last = course.chats()[-1]
    assert last["path"] == CHAT_PATHS[model] and last["finished"]
    if model == OPENAI_MODEL:
        assert last["headers"]["Authorization"] == f"Bearer {course.api_key}"


def test_nothing_the_students_servers_hold_tells_the_model_servers_address_or_key(
    course: Course,
) -> None:
    # After a question, so that whatever the servers might keep of it is there.
    with course.ask("ana", OPENAI_MODEL, "What does groupby return?") as response:
        assert response.status_code == 200, response.text
        assert [line for line in response.iter_lines() if line]
    config = course.hub.request("GET", "/user/ana/jelai/config", course.tokens["ana"])
    assert config.status_code == 200, config.text
    wanted = course.secrets()
    assert not [s for s in wanted if s in config.text]

    # Every process in the namespace (the servers, a kernel): environment and command line.
    with kernel(course, "ana"):
        kernels = wait_for(lambda: kernel_pids(course.ns), "the kernel's process", course.hub.logs)
        pids = course.ns.pids()
        servers = {server_process(course.hub, user)[0] for user in STUDENTS}
        assert servers | set(kernels) <= set(pids)
        for pid in pids:
            for part in ("environ", "cmdline"):
                try:
                    text = Path(f"/proc/{pid}/{part}").read_bytes()
                except (FileNotFoundError, ProcessLookupError):
                    continue  # ended meanwhile
                assert not [s for s in wanted if s.encode() in text], (pid, part)

    # Every file of the students' homes, data folders and Jupyter configuration.
    state = course.hub.data_dir.parent
    folders = [state / "home", course.hub.data_dir, state / "user-config"]
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert [path for path in files if path.is_relative_to(state / "home" / "ana")]
    for path in files:
        content = path.read_bytes()
        assert not [s for s in wanted if s.encode() in content], path


def test_stop_ends_the_model_servers_generation(course: Course) -> None:
    # A slow model: its reply would take several seconds, a token every 0.1 s.
    per_second = 10
    course.fake("POST", "config", json={"delay": 1 / per_second})
    try:
        with course.ask("bob", OPENAI_MODEL, "Explain groupby, please.") as reply:
            assert reply.status_code == 200, reply.text
            lines = ndjson_lines(reply.iter_lines())
            first = [next(lines) for _ in range(3)]
            assert all(not line["done"] for line in first)
        # The student pressed stop: the browser's request is closed.

        def ended() -> dict[str, Any] | None:
            last = course.chats()[-1]
            return last if last["hung_up"] or last["finished"] else None

        last = wait_for(ended, "the model server's generation to end", course.hub.logs)
    finally:
        course.fake("POST", "config", json={"delay": 0.01})
    # It was cut short by the hang-up, not finished, and the model made no
    # more than a second's worth of tokens after the three the student saw.
    assert last["hung_up"] and not last["finished"], last
    assert last["tokens_sent"] <= len(first) + per_second, last


# -- running code in a student's kernel --------------------------------------


def kernel_pids(ns: Namespace) -> list[int]:
    """The kernels' processes in the namespace."""
    found = []
    for pid in ns.pids():
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


# Prints how each of TARGETS answered (a URL, or the name of an environment
# variable holding one): "answered <status>", "refused: ..." or "failed: ...".
KERNEL_PROBE = """
import json, os, urllib.request

def attempt(url):
    url = os.environ.get(url, url)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as answer:
            return f"answered {answer.status}"
    except ConnectionRefusedError as error:
        return f"refused: {error}"
    except OSError as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ConnectionRefusedError):
            return f"refused: {reason}"
        return f"failed: {reason!r}"

print(json.dumps({name: attempt(url) for name, url in TARGETS.items()}))
"""


@contextmanager
def kernel(course: Course, user: str) -> Iterator[str]:
    """A new kernel of `user`'s server, started through the server's REST API
    as JupyterLab does, and shut down at the end; its id."""
    token = course.tokens[user]
    response = course.hub.request("POST", f"/user/{user}/api/kernels", token, json={})
    assert response.status_code == 201, response.text
    kernel_id = response.json()["id"]
    try:
        yield kernel_id
    finally:
        course.hub.request("DELETE", f"/user/{user}/api/kernels/{kernel_id}", token)


def run_in_kernel(course: Course, user: str, code: str) -> str:
    """What `code` prints, run in a new kernel of `user`'s server."""
    with kernel(course, user) as kernel_id:
        url = course.hub.url.replace("http", "ws", 1)
        url += f"/user/{user}/api/kernels/{kernel_id}/channels"
        token = course.tokens[user]
        return asyncio.run(asyncio.wait_for(execute(url, token, code), START_SECONDS))


async def execute(url: str, token: str, code: str) -> str:
    """Runs `code` over the kernel's websocket (Jupyter's messaging protocol,
    one JSON message per frame); its standard output, or an AssertionError."""
    headers = {"Authorization": f"token {token}"}
    connection = await websocket_connect(HTTPRequest(url, headers=headers))
    try:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "version": "5.3"}
        header |= {"session": uuid.uuid4().hex, "username": "student", "date": ""}
        content = {"code": code, "silent": False, "store_history": False}
        content |= {"user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        await connection.write_message(json.dumps(message | {"channel": "shell", "buffers": []}))
        output, status = [], None
        while status is None or not output:
            frame = await connection.read_message()
            assert frame is not None, "the kernel's websocket closed"
            reply = json.loads(frame)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["msg_type"]
            if kind == "stream":
                output.append(reply["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(reply["content"]["traceback"]))
            elif kind == "execute_reply":
                status = reply["content"]["status"]
                assert status == "ok", reply["content"]
        return "".join(output)
    finally:
        connection.close()
