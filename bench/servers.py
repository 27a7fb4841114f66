"""The processes a benchmark runs against: a fake Ollama and Jupyter servers.

Each is a real subprocess on a free loopback port, with its configuration,
runtime files and data in the benchmark's own folder, so a run never touches
the user's Jupyter setup and a stopped run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
FAKE_OLLAMA = ROOT / "tests" / "fake_ollama.py"
START_TIMEOUT = 90.0  # seconds; JupyterLab on a busy 2-core machine can be slow to start
STOP_TIMEOUT = 15.0

# Loopback only: an http_proxy in the environment must not see these requests.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with _opener.open(request, timeout=timeout) as response:
        return bytes(response.read())


def http_json(
    url: str, body: object = None, headers: dict[str, str] | None = None, method: str = "GET"
) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with _opener.open(request, timeout=30.0) as response:
        return json.loads(response.read() or b"null")


class Process(AbstractContextManager["Process"]):
    """A server subprocess, in its own process group so its kernels stop with it."""

    def __init__(
        self, name: str, argv: list[str], folder: Path, env: dict[str, str], port: int = 0
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.folder = folder
        self.log = folder / f"{name}.log"
        folder.mkdir(parents=True, exist_ok=True)
        self._argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, ready_path: str, headers: dict[str, str] | None = None) -> Process:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self._argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._env,
                cwd=self.folder,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.tail()}")
            try:
                http_get(self.url + ready_path, headers, timeout=2.0)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT:g} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # jupyter_server shuts its kernels down on TERM
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT)

    def rss_kib(self) -> int:
        """Resident memory of the server process itself, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.name}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def fake_ollama(folder: Path, delay: float) -> Process:
    """The project's fake Ollama (tests/fake_ollama.py), `delay` seconds per token."""
    argv = [sys.executable, str(FAKE_OLLAMA), "--port", "{port}", "--delay", str(delay)]
    return Process("fake-ollama", argv, folder, {}).start("/api/version")


class Jupyter(Process):
    """`jupyter server` (or `jupyter lab`) with a token, isolated in `folder`."""

    def __init__(
        self,
        name: str,
        folder: Path,
        options: list[str],
        python: str = sys.executable,
        lab: bool = False,
        config: str = "",
    ) -> None:
        self.token = secrets.token_hex(16)
        home = folder / name
        config_dir = home / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.py").write_text(config)
        (home / "notebooks").mkdir(exist_ok=True)
        argv = [
            python,
            "-m",
            "jupyterlab" if lab else "jupyter_server",
            "--no-browser",
            "--ip=127.0.0.1",
            "--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={home / 'notebooks'}",
            *options,
        ]
        env = {
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / "ipython"),
        }
        super().__init__(name, argv, home, env)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def launch(self) -> Jupyter:
        self.start("/api/status", self.auth)
        return self


def jelai_server(
    folder: Path, name: str, ollama_url: str, options: list[str] | None = None, lab: bool = False
) -> Jupyter:
    """A Jupyter server with jelai, its store in `folder` (on disk, so fsync is real)."""
    data = folder / name / "jelai-data"
    flags = [f"--Jelai.data_dir={data}", f"--JelaiTutor.ollama_url={ollama_url}"]
    return Jupyter(name, folder, flags + (options or []), lab=lab).launch()
