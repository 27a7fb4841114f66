"""What the hub tests share: processes on loopback ports, the running hub, a course, events.

JupyterHub (from PyPI, the `test` extra) and configurable-http-proxy (from
npm, installed into tests/hub/node_modules on first use) run with a
local-process spawner; `jupyterhub_config.py` beside this file says how.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

try:
    import jupyterhub  # noqa: F401
    import requests
except ImportError as error:  # pragma: no cover - a broken setup, not a skip
    raise ImportError(
        f"The hub test needs JupyterHub ({error}): pip install -e '.[test]'"
    ) from error

HERE = Path(__file__).parent
REPO = HERE.parent.parent
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
STUDENTS = ("ana", "bob")
COURSE_MODELS = ("llama3.1:8b", "qwen2.5-coder:7b")  # c.JelaiTutor.models of the example
INSTRUCTOR = "teacher"
NOTEBOOK = "lab1.ipynb"
SERVICE = "/services/jelai"  # where the hub's proxy routes to the jelai service
# Every wait is bounded; the whole module takes about 30 seconds.
START_SECONDS = 60
REQUEST_SECONDS = 20

# -- processes ---------------------------------------------------------------


def proxy_command() -> Path:
    """configurable-http-proxy, installed from npm into tests/hub/node_modules if missing."""
    if PROXY.exists():
        return PROXY
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("The hub test needs npm to install configurable-http-proxy (Node 20).")
    done = subprocess.run(
        [npm, "install", "--prefix", str(HERE), "--no-package-lock", "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or not PROXY.exists():
        pytest.fail(f"npm could not install configurable-http-proxy:\n{done.stderr[-3000:]}")
    return PROXY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """A process in a group of its own, so that it and its children can be stopped together."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    """Stops a process group: TERM, then KILL whatever is left after 15 seconds."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
    process.wait(timeout=5)


def listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def tail(log: Path, lines: int = 80) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_for(ready: Callable[[], Any], what: str, logs: list[Path]) -> Any:
    """The first true value of `ready()` within START_SECONDS, else a failure with the logs."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            value = ready()
        except (OSError, requests.RequestException):
            value = None
        if value:
            return value
        time.sleep(0.25)
    shown = "\n".join(f"--- {log.name}\n{tail(log)}" for log in logs)
    pytest.fail(f"Timed out waiting for {what}.\n{shown}")


# -- the hub -----------------------------------------------------------------


@dataclass
class Hub:
    """The running hub, as its users reach it: through the proxy."""

    url: str
    password: str
    data_dir: Path
    logs: list[Path]
    ollama_url: str

    def token(self, user: str) -> str:
        """A new API token for `user`, asked for with their own password."""
        response = requests.post(
            f"{self.url}/hub/api/users/{user}/tokens",
            json={"auth": {"username": user, "password": self.password}, "note": "hub test"},
            timeout=REQUEST_SECONDS,
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {
            **kwargs.pop("headers", {}),
            **({"Authorization": f"token {token}"} if token else {}),
        }
        return requests.request(
            method,
            f"{self.url}{path}",
            headers=headers,
            timeout=REQUEST_SECONDS,
            allow_redirects=False,
            **kwargs,
        )

    def start_servers(self, tokens: dict[str, str]) -> None:
        """Each user starts their own server; all start at once."""
        for user, token in tokens.items():
            response = self.request("POST", f"/hub/api/users/{user}/server", token)
            assert response.status_code in (201, 202), response.text
        for user, token in tokens.items():

            def ready(user: str = user, token: str = token) -> bool:
                model = self.request("GET", f"/hub/api/users/{user}", token).json()
                return bool(model["servers"].get("", {}).get("ready"))

            wait_for(ready, f"the server of {user}", self.logs)

    def login(self, user: str) -> requests.Session:
        """A browser's session: the hub's login form, then JupyterLab through OAuth."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=REQUEST_SECONDS)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert xsrf, page.text[:500]
        response = session.post(
            f"{self.url}/hub/login",
            data={"username": user, "password": self.password, "_xsrf": xsrf.group(1)},
            timeout=REQUEST_SECONDS,
        )
        assert response.ok, response.text[:500]
        lab = session.get(f"{self.url}/user/{user}/lab", timeout=REQUEST_SECONDS)
        assert lab.ok and lab.url.endswith(f"/user/{user}/lab"), lab.url
        return session


@contextmanager
def running_hub(
    root: Path,
    extra: dict[str, Any] | None = None,
    host: str = "127.0.0.1",
    model_port: int = 0,
    model_server_args: tuple[str, ...] = (),
    config: Path = HERE / "jupyterhub_config.py",
) -> Iterator[Hub]:
    """JupyterHub, its proxy and a fake Ollama, stopped (process groups and all)
    however the tests end; `extra` settings reach the hub's `config` file
    (`jupyterhub_config.py` beside this one unless told otherwise).

    The proxy, the hub and the service listen on `host`; the fake Ollama
    listens on 127.0.0.1 whatever `host` is, on `model_port` (0: a free
    one), given `model_server_args` too.
    """
    extra = extra or {}
    singleuser = Path(sys.executable).with_name("jupyterhub-singleuser")
    if not singleuser.is_file():
        pytest.fail(f"{singleuser} is missing: pip install -e '.[test]' installs JupyterHub")
    data_dir = root / "jelai"
    ports = {name: free_port() for name in ("proxy_port", "proxy_api_port", "hub_port")}
    ports["ollama"] = model_port or free_port()
    password = secrets.token_urlsafe(16)
    settings = {
        **ports,
        "state_dir": str(root),
        "data_dir": str(data_dir),
        "password": password,
        "host": host,
        "users": [*STUDENTS, INSTRUCTOR],
        "instructors": [INSTRUCTOR],
        "singleuser": str(singleuser),
        "ollama_url": f"http://127.0.0.1:{ports['ollama']}",
        "models": list(COURSE_MODELS),
        **extra,
    }
    (root / "settings.json").write_text(json.dumps(settings))
    env = {
        **os.environ,
        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
        "JELAI_HUB_TEST_SETTINGS": str(root / "settings.json"),
    }
    url = f"http://{host}:{ports['proxy_port']}"
    hub_url = f"http://{host}:{ports['hub_port']}"
    model_server = [sys.executable, str(REPO / "tests" / "fake_ollama.py")]
    model_server += ["--port", str(ports["ollama"]), "--delay", "0.01"]
    model_server += ["--models", ",".join(COURSE_MODELS), *model_server_args]
    proxy = [str(proxy_command()), "--ip", host, "--port", str(ports["proxy_port"])]
    proxy += ["--api-ip", "127.0.0.1", "--api-port", str(ports["proxy_api_port"])]
    proxy += ["--default-target", hub_url, "--error-target", f"{hub_url}/hub/error"]
    jupyterhub = [sys.executable, "-m", "jupyterhub", "-f", str(config)]

    logs = [root / f"{name}.log" for name in ("jupyterhub", "proxy", "ollama")]
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start(model_server, logs[2], env, root))
        wait_for(
            lambda: requests.get(f"{settings['ollama_url']}/api/version", timeout=2).ok,
            "Ollama",
            logs,
        )
        processes.append(start(proxy, logs[1], env, root))
        wait_for(lambda: listening(ports["proxy_api_port"]), "configurable-http-proxy", logs)
        processes.append(start(jupyterhub, logs[0], env, root))
        wait_for(lambda: requests.get(f"{url}/hub/api/", timeout=2).ok, "JupyterHub", logs)
        yield Hub(url, password, data_dir, logs, settings["ollama_url"])
    finally:
        for process in reversed(processes):
            stop(process)


def course_settings(
    root: Path,
    students: Sequence[str] = STUDENTS,
    *,
    instructors: Sequence[str] = (),
    assistants: Sequence[str] = (),
    store_url: str | None = None,
    course_dir: Path | None = None,
    args: Sequence[str] = (),
) -> dict[str, Any]:
    """`running_hub`'s `extra` for a course: its students, instructors and
    assistants are the hub's users, and the jelai service keeps their record
    in `store_url` (SQLite under `root` unless told otherwise), with `args`
    added to its command line."""
    user_config = root / "user-config"
    user_config.mkdir(parents=True)
    service: dict[str, Any] = {
        "assistants": list(assistants),
        "port": free_port(),
        "store_url": store_url or f"sqlite:///{root / 'service' / 'events.sqlite3'}",
        "user_config_dir": str(user_config),
        "args": list(args),
    }
    if course_dir is not None:
        service["course_dir"] = str(course_dir)
    return {
        "users": [*students, *instructors, *assistants],
        "instructors": list(instructors),
        "service": service,
    }


def start_course(
    hub: Hub, users: Iterable[str] = STUDENTS, logs: Sequence[Path] = ()
) -> dict[str, str]:
    """Waits until the jelai service answers through the hub's proxy, then each
    of `users` asks the hub for a token and starts their server: the tokens.
    `logs` are shown beside the hub's if the service does not answer."""
    wait_for(
        lambda: requests.get(f"{hub.url}{SERVICE}/events", timeout=2).status_code == 403,
        "the jelai service",
        [*hub.logs, *logs],
    )
    tokens = {user: hub.token(user) for user in users}
    hub.start_servers(tokens)
    return tokens


def server_process(hub: Hub, user: str) -> tuple[int, dict[str, str]]:
    """The process id and environment of `user`'s single-user server in `hub`
    (not another hub's on this machine), read from /proc."""
    ours = f"--Jelai.data_dir={hub.data_dir}/".encode()
    owner = f"JUPYTERHUB_USER={user}\0".encode()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"jupyterhub-singleuser" in command and ours in command and owner in environ:
            pairs = [item.split(b"=", 1) for item in environ.split(b"\0") if b"=" in item]
            return int(entry.name), {k.decode(): v.decode(errors="replace") for k, v in pairs}
    raise AssertionError(f"the server of {user} is not running")


# -- what the users do ---------------------------------------------------------


def event(kind: str, minutes_ago: float, cell: str | None, data: dict[str, Any]) -> dict[str, Any]:
    when = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {
        "schema_version": 1,
        "id": str(uuid.uuid4()),
        "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "session": "page-1",
        "notebook": NOTEBOOK,
        "kernel": {"id": "k-1", "name": "python3"},
        "type": kind,
        "cell": None if cell is None else {"id": cell, "index": 0, "type": "code"},
        "data": data,
    }


def run(cell: str, minutes_ago: float, error: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"source": "df.groupby('x').mean()", "success": error is None}
    if error:
        data["error"] = {"name": error, "value": "'x'"}
    return event("cell.execute", minutes_ago, cell, data)
