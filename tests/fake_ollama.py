"""A fake Ollama server for jelai's tests and local demos.

It follows Ollama's documented REST API (`docs/api.md`): `/api/chat` and
`/api/generate` stream NDJSON with the real field names and end with the
statistics line; `stream: false` answers with one object; `/api/tags`,
`/api/show`, `/api/ps` and `/api/version` answer like Ollama; an unknown
model gets a 404 with Ollama's error body. It records every request it
receives (with the port of the connection it came on) and whether the
client hung up, and how many replies it generated at once at most
(`peak_generating`), and can be slowed down, held after a few tokens, made
to fail mid-stream, or to hang up on requests without answering them.

What a model returns is shaped as Ollama does it: `options.num_predict`
cuts the reply after that many tokens with `done_reason: "length"`; empty
messages only load the model (`"load"`), or unload it with `keep_alive: 0`
(`"unload"`); a thinking model's reasoning streams in `message.thinking`
(`thinking` for /api/generate) before the content, unless the request says
`think: false`. The `reply` setting replaces the words of the reply (e.g.
with an inline `<think>` block, as some open models write), `thinking`
gives the reasoning of a thinking model, and `done_reason` overrides the
last line's reason (Ollama sends an empty one when generation broke off).

    python tests/fake_ollama.py --port 11555 --delay 0.05 --models llama3.1:8b,qwen2.5:0.5b

Like Ollama, it also answers OpenAI's API under `/v1/` (`tests/fake_openai.py`:
`/v1/models` and `/v1/chat/completions`, streamed as server-sent events), with
the same settings; `apis` (`--api openai`) makes it answer only one of the two,
as vLLM or llama.cpp's server answer only OpenAI's, and `api_key` makes `/v1/`
ask for that bearer token.

Control endpoints (not part of Ollama), for UI tests that run it in another
process: `GET /_fake/requests`, `POST /_fake/config` with any of `delay`,
`fail_after`, `hold_after`, `hang_up`, `models`, `reply`, `thinking`, `done_reason`,
`apis`, `api_key`, `reasoning_field`; `POST /_fake/release` (let held
streams go on) and `POST /_fake/reset`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

DEFAULT_MODELS = ("llama3.1:8b", "qwen2.5:0.5b")
VERSION = "0.9.0"
LOAD_NS = 2_500_000
PROMPT_NS_PER_TOKEN = 20_000
FAIL_MESSAGE = "an error was encountered while running the model: unexpected EOF"


@dataclass
class FakeSettings:
    """How the fake behaves; changed by tests or `POST /_fake/config`."""

    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    delay: float = 0.0  # seconds before each token, the first one too (prompt evaluation)
    fail_after: int | None = None  # tokens sent before a mid-stream error line
    hold_after: int | None = None  # tokens sent before pausing until release()
    # The next N requests have their connection closed unanswered, as a server
    # does when it drops an idle keep-alive connection as a request arrives.
    hang_up: int = 0
    reply: str | None = None  # the reply's content instead of `reply_for(question)`
    thinking: str | None = None  # reasoning streamed first, as thinking models do
    done_reason: str | None = None  # the last line's reason instead of Ollama's own
    apis: list[str] = field(default_factory=lambda: ["ollama", "openai"])  # the APIs answered
    api_key: str | None = None  # the bearer token OpenAI's API asks for, if any
    # Where OpenAI's API puts reasoning: llama.cpp's server and vLLM say
    # `reasoning_content`, Ollama's /v1 says `reasoning`.
    reasoning_field: str = "reasoning_content"


@dataclass
class RecordedRequest:
    """One request the fake received, and how its reply ended."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int = 0  # the TCP connection it came on
    tokens_sent: int = 0
    finished: bool = False
    hung_up: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ended"}


def full_name(model: str) -> str:
    """Ollama's rule: a name without a tag means `:latest`."""
    return model if ":" in model else f"{model}:latest"


def reply_for(question: str) -> str:
    """A deterministic tutor-like reply with a fenced code block."""
    asked = " ".join(question.split())[:60] or "nothing"
    return (
        f'Let\'s think about it step by step: you asked "{asked}". '
        "First, say in your own words what the code should do. "
        "Then try it on a small example you can check by hand:\n\n"
        "```python\ndef mean(values):\n    return sum(values) / len(values)\n\n"
        "print(mean([2, 4, 6]))\n```\n\n"
        "Run it and compare the result with what you expected."
    )


def tokenize(text: str) -> list[str]:
    """Splits like a model's tokens: a word with its leading whitespace."""
    return re.findall(r"\s*\S+|\s+", text)


def dumps(value: Any) -> str:
    """JSON spelled as Ollama (Go) writes it: no spaces."""
    return json.dumps(value, separators=(",", ":"))


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def model_entry(name: str) -> dict[str, Any]:
    """A `/api/tags` entry; sizes and digests derived from the name."""
    family = re.match(r"[a-z]*", name).group() or "llama"  # type: ignore[union-attr]
    tag = name.split(":", 1)[1]
    return {
        "name": name,
        "model": name,
        "modified_at": "2024-09-01T12:00:00.000000Z",
        "size": 1_000_000_000 + 1000 * len(name),
        "digest": hashlib.sha256(name.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": tag.upper() if re.fullmatch(r"[\d.]+b", tag) else "7B",
            "quantization_level": "Q4_K_M",
        },
    }


class FakeOllama:
    """The fake server; start it with `listen()` on a running event loop."""

    def __init__(self, **settings: Any) -> None:
        self._defaults = FakeSettings(**settings)
        self.settings = self._fresh_settings()
        self.requests: list[RecordedRequest] = []
        self.released = asyncio.Event()
        self.loaded: set[str] = set()
        # Replies being generated now, and the most at once since the last reset.
        self.generating = 0
        self.peak_generating = 0
        self.port = 0
        self._server: HTTPServer | None = None
        from tests.fake_openai import OpenAIHandler  # it builds on this module

        self.app = Application(
            [
                (r"/_fake/([a-z]+)", ControlHandler, {"fake": self}),
                (r"/(v1/.*)", OpenAIHandler, {"fake": self}),
                (r"/(.*)", OllamaHandler, {"fake": self}),
            ]
        )

    def _fresh_settings(self) -> FakeSettings:
        defaults = self._defaults
        return replace(defaults, models=list(defaults.models), apis=list(defaults.apis))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listen(self, port: int = 0, address: str = "127.0.0.1") -> str:
        sockets = bind_sockets(port, address)
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(self.app)
        self._server.add_sockets(sockets)
        return self.url

    async def stop(self) -> None:
        self.released.set()
        if self._server:
            self._server.stop()
            await self._server.close_all_connections()

    def configure(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)
        if "hold_after" in changes:
            self.released.clear()

    def release(self) -> None:
        self.released.set()

    def reset(self) -> None:
        self.released.set()  # free streams still held from before
        self.released = asyncio.Event()
        self.settings = self._fresh_settings()
        self.requests.clear()
        self.loaded.clear()
        self.peak_generating = self.generating

    def received(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]


class ControlHandler(RequestHandler):
    def initialize(self, fake: FakeOllama) -> None:
        self.fake = fake

    def get(self, action: str) -> None:
        if action != "requests":
            raise_not_found(self)
            return
        self.finish(
            {
                "requests": [r.to_json() for r in self.fake.requests],
                "peak_generating": self.fake.peak_generating,
            }
        )

    def post(self, action: str) -> None:
        if action == "config":
            changes = json.loads(self.request.body or b"{}")
            names = {f.name for f in fields(FakeSettings)}
            self.fake.configure(**{k: v for k, v in changes.items() if k in names})
        elif action == "release":
            self.fake.release()
        elif action == "reset":
            self.fake.reset()
        else:
            raise_not_found(self)
            return
        self.finish({"settings": self.fake.settings.__dict__})


def raise_not_found(handler: RequestHandler) -> None:
    # Go's net/http answer for an unknown route, as Ollama sends it
    handler.set_status(404)
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.finish("404 page not found")


class OllamaHandler(RequestHandler):
    API = "ollama"  # the name `apis` turns it on by
    ROUTES = {
        ("POST", "api/chat"): "chat",
        ("POST", "api/generate"): "generate",
        ("POST", "api/show"): "show",
        ("GET", "api/tags"): "tags",
        ("GET", "api/ps"): "ps",
        ("GET", "api/version"): "version",
    }

    def initialize(self, fake: FakeOllama) -> None:
        self.fake = fake
        self.gone = asyncio.Event()

    async def get(self, path: str) -> None:
        await self.dispatch(path)

    async def post(self, path: str) -> None:
        await self.dispatch(path)

    async def delete(self, path: str) -> None:
        await self.dispatch(path)

    async def dispatch(self, path: str) -> None:
        try:
            body = json.loads(self.request.body) if self.request.body else None
        except ValueError:
            body = self.request.body.decode("utf-8", "replace")
        stream = self.request.connection.stream  # type: ignore[union-attr]
        self.rec = RecordedRequest(
            self.request.method or "GET",
            "/" + path,
            dict(self.request.headers),
            body,
            client_port=stream.socket.getpeername()[1],
        )
        self.fake.requests.append(self.rec)
        if self.fake.settings.hang_up > 0:
            self.fake.settings.hang_up -= 1
            self.rec.ended.set()
            stream.close()
            self._finished = True  # nothing more is written on that connection
            return
        try:
            if self.API not in self.fake.settings.apis:
                raise_not_found(self)
            elif path == "" and self.request.method == "GET":
                self.finish("Ollama is running")
            elif (self.request.method, path) not in self.ROUTES:
                self.not_found()
            elif not isinstance(body, (dict, type(None))):
                self.fail(400, "invalid character in request body")
            else:
                answer = getattr(self, self.ROUTES[(self.request.method, path)])(body or {})
                if answer is not None:
                    await answer
        finally:
            self.rec.finished = not self.rec.hung_up
            self.rec.ended.set()

    def on_connection_close(self) -> None:
        if hasattr(self, "rec") and not self.rec.ended.is_set():
            self.rec.hung_up = True
            self.rec.ended.set()
        self.gone.set()

    def not_found(self) -> None:
        raise_not_found(self)

    def answer(self, value: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(dumps(value))

    def fail(self, status: int, message: str) -> None:
        self.answer({"error": message}, status)

    def known_model(self, body: dict[str, Any]) -> str | None:
        model = body.get("model")
        if not model:
            self.fail(400, "model is required")
            return None
        if full_name(model) not in map(full_name, self.fake.settings.models):
            self.fail(404, f'model "{model}" not found, try pulling it first')
            return None
        return str(model)

    async def chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        prompt = " ".join(str(m.get("content", "")) for m in messages)
        await self.complete(body, users[-1] if users else "", prompt, bool(messages), "chat")

    async def generate(self, body: dict[str, Any]) -> None:
        prompt = str(body.get("prompt") or "")
        await self.complete(body, prompt, prompt, bool(prompt), "generate")

    def piece(self, model: str, text: str, kind: str, channel: str = "content") -> dict[str, Any]:
        """One streamed line; `channel` "thinking" carries reasoning, the content left empty."""
        extra = {"thinking": text} if channel == "thinking" else {}
        answer = "" if channel == "thinking" else text
        if kind == "chat":
            message = {"role": "assistant", "content": answer, **extra}
            content: dict[str, Any] = {"message": message}
        else:
            content = {"response": answer, **extra}
        return {"model": model, "created_at": now_iso(), **content, "done": False}

    def pieces(self, question: str, think: bool = True) -> list[tuple[str, str]]:
        """The reply's tokens as (channel, text): reasoning first, then the content."""
        settings = self.fake.settings
        content = settings.reply if settings.reply is not None else reply_for(question)
        parts = [("content", part) for part in tokenize(content)]
        if settings.thinking and think:
            parts = [("thinking", part) for part in tokenize(settings.thinking)] + parts
        return parts

    async def complete(self, body: dict, question: str, prompt: str, run: bool, kind: str) -> None:
        model = self.known_model(body)
        if model is None:
            return
        fake = self.fake
        fake.generating += 1
        fake.peak_generating = max(fake.peak_generating, fake.generating)
        try:
            await self.generate_reply(body, model, question, prompt, run, kind)
        finally:
            fake.generating -= 1

    async def generate_reply(
        self, body: dict, model: str, question: str, prompt: str, run: bool, kind: str
    ) -> None:
        self.fake.loaded.add(full_name(model))  # shows up in /api/ps from now on
        settings, start = self.fake.settings, time.monotonic()
        pieces = self.pieces(question, body.get("think") is not False) if run else []
        reason = "stop" if run else "load"
        if not run and body.get("keep_alive") in (0, "0", "0s"):
            reason = "unload"
            self.fake.loaded.discard(full_name(model))
        limit = (body.get("options") or {}).get("num_predict")
        if isinstance(limit, int) and 0 <= limit < len(pieces):
            pieces, reason = pieces[:limit], "length"
        if settings.done_reason is not None and run:
            reason = settings.done_reason
        parts = [text for _, text in pieces]

        def last(text: str, thinking: str = "") -> dict[str, Any]:
            ending = {"done": True, "done_reason": reason}
            reply = self.piece(model, text, kind) | ending
            if thinking:
                where = reply["message"] if kind == "chat" else reply
                where["thinking"] = thinking
            if kind == "generate" and run:
                reply["context"] = [1, 2, 3]
            return reply | self.stats(parts, prompt, start, run)

        if body.get("stream", True) is False:
            if settings.fail_after is not None:
                return self.fail(500, FAIL_MESSAGE)
            await asyncio.sleep(settings.delay * len(parts))
            self.rec.tokens_sent = len(parts)
            content = "".join(text for channel, text in pieces if channel == "content")
            thinking = "".join(text for channel, text in pieces if channel == "thinking")
            self.answer(last(content, thinking))
            return
        self.set_header("Content-Type", "application/x-ndjson")
        for index, (channel, part) in enumerate(pieces):
            if index == settings.hold_after:
                await self.wait_for_release()
            if index == settings.fail_after:
                self.write(dumps({"error": FAIL_MESSAGE}) + "\n")
                self.finish()
                return
            await asyncio.sleep(settings.delay)
            if self.gone.is_set() or not await self.send(self.piece(model, part, kind, channel)):
                return
            self.rec.tokens_sent += 1
        self.write(dumps(last("")) + "\n")
        self.finish()

    async def send(self, line: dict[str, Any]) -> bool:
        try:
            self.write(dumps(line) + "\n")
            await self.flush()
        except StreamClosedError:
            self.on_connection_close()
            return False
        return True

    async def wait_for_release(self) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in (self.fake.released, self.gone)]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    def stats(self, parts: list[str], prompt: str, start: float, run: bool) -> dict[str, Any]:
        if not run:
            return {}
        eval_ns = int((time.monotonic() - start) * 1e9)
        prompt_tokens = len(tokenize(prompt)) + 4
        # Reading the prompt takes longer the longer it is, as a model's does.
        prompt_ns = prompt_tokens * PROMPT_NS_PER_TOKEN
        return {
            "total_duration": LOAD_NS + prompt_ns + eval_ns,
            "load_duration": LOAD_NS,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": len(parts),
            "eval_duration": eval_ns,
        }

    def tags(self, body: dict[str, Any]) -> None:
        self.answer({"models": [model_entry(full_name(m)) for m in self.fake.settings.models]})

    def ps(self, body: dict[str, Any]) -> None:
        running = [
            model_entry(m) | {"expires_at": "2099-01-01T00:00:00Z", "size_vram": 0}
            for m in sorted(self.fake.loaded)
        ]
        for entry in running:
            del entry["modified_at"]
        self.answer({"models": running})

    def version(self, body: dict[str, Any]) -> None:
        self.answer({"version": VERSION})

    def show(self, body: dict[str, Any]) -> None:
        model = self.known_model(body)
        if model is None:
            return
        entry = model_entry(full_name(model))
        self.answer(
            {
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {entry["name"]}\n',
                "parameters": "temperature 0.7\nnum_ctx 8192",
                "template": "{{ .System }}\n{{ .Prompt }}",
                "details": entry["details"],
                "model_info": {"general.architecture": entry["details"]["family"]},
                "capabilities": ["completion"],
                "modified_at": entry["modified_at"],
            }
        )


async def serve(args: argparse.Namespace) -> None:
    fake = FakeOllama(
        apis=["ollama", "openai"] if args.api == "both" else [args.api],
        api_key=args.api_key,
        models=[m.strip() for m in args.models.split(",") if m.strip()],
        delay=args.delay,
        fail_after=args.fail_after,
        hold_after=args.hold_after,
        reply=args.reply,
        thinking=args.thinking,
    )
    fake.listen(args.port, args.address)
    print(f"fake Ollama listening on http://{args.address}:{fake.port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Ollama server for tests and demos.")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per token")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--fail-after", type=int, default=None, help="fail after N tokens")
    parser.add_argument("--hold-after", type=int, default=None, help="hold after N tokens")
    parser.add_argument("--reply", default=None, help="the reply's content, e.g. with <think>")
    parser.add_argument("--thinking", default=None, help="reasoning streamed before the reply")
    parser.add_argument(
        "--api", choices=["both", "ollama", "openai"], default="both", help="the APIs answered"
    )
    parser.add_argument("--api-key", default=None, help="the bearer token /v1/ asks for")
    try:
        asyncio.run(serve(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    # Run as a script, this file is loaded again as tests.fake_ollama, the
    # module that tests/fake_openai.py builds on, so both share one set of classes.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.fake_ollama import main as run

    run()
