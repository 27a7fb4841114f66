"""11. What jelai adds to a real model's reply: its first word and its pace.

A real model (SmolLM2-135M-Instruct on llama.cpp's OpenAI-compatible server,
`tests/real_model.py`, installed by `scripts/real_model.sh`) answers the
same question three ways, in turn:

- directly, at its `/v1/chat/completions` (server-sent events), the
  reference;
- through a standalone Jupyter server with jelai, at
  `/jelai/ollama/api/chat`, the route the tutor's page uses, the gateway
  completing the prompt and translating the reply to Ollama's NDJSON;
- through the course chain as `chain.py` runs it: a real JupyterHub's
  proxy, the student's own server, the jelai service's gateway.

Both sides send the model the same request: the direct one is made with
the gateway's own code (`rewrite_body`, `complete_chat`, `chat_request`)
and the same course settings, so the model reads the same prompt and, at
temperature 0, writes the same reply. The server keeps the previous
prompt's tokens and reuses their common beginning, so every request after
the first finds the whole prompt already read, whichever way it came: the
reference is not slower for going first.

Time to first token is the moment the first piece of reply text arrives
(the server's opening role-only chunk is not text); the pace is the pieces
after the first over the time from the first to the last. The three ways
take turns, the first of each round moving on, so that any drift of the
machine hits them alike.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from chain import chained
from client import Response
from proxy import Route
from report import Row, at_least, at_most, failed, median, ms
from servers import ROOT, Jupyter

sys.path.insert(0, str(ROOT))

from traitlets.config import Config  # noqa: E402

from jelai.config import JelaiTutor  # noqa: E402
from jelai.gateway.completed_chat import complete_chat  # noqa: E402
from jelai.gateway.openai import chat_request  # noqa: E402
from jelai.gateway.proxy import rewrite_body  # noqa: E402
from tests.hub.hubtools import course_settings, running_hub, start_course  # noqa: E402
from tests.real_model import Missing, RealModelServer  # noqa: E402

LABEL = "11. real model"
STUDENT = "ana"
QUESTION = "In two sentences, what is a variable in Python?"
REPLY_TOKENS = 48  # the course's num_predict: every reply is this long or ends sooner
# The course layer of the tutor's instructions that the hub's configuration
# (`tests/hub/jupyterhub_config.py`) gives the service; the others get it too.
COURSE_PROMPT = "Course prompt from the service."
ADDED_STANDALONE_MS = 5.0
ADDED_CHAIN_MS = 10.0
PACE_RATIO = 0.95
HOPS = "hub proxy, student's server, service"


def settings_text(model: RealModelServer) -> str:
    """The course's tutor settings, for the Jupyter server, the service and the
    direct request alike."""
    upstreams = [{"url": model.url, "api": "openai", "models": [model.model]}]
    return (
        f"c.JelaiTutor.upstreams = {upstreams!r}\n"
        f"c.JelaiTutor.models = {[model.model]!r}\n"
        f"c.JelaiTutor.default_model = {model.model!r}\n"
        f"c.JelaiTutor.model_options = {{'temperature': 0, 'num_predict': {REPLY_TOKENS}}}\n"
        f"c.JelaiTutor.context_window = {model.context}\n"
        f"c.JelaiTutor.system_prompt = {COURSE_PROMPT!r}\n"
    )


def page_body(model: RealModelServer) -> dict[str, object]:
    """The tutor page's request: the student's question, streamed."""
    return {
        "model": model.model,
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": True,
    }


def direct_body(model: RealModelServer) -> bytes:
    """What jelai's gateway sends the model server for `page_body`."""
    config = Config()
    exec(settings_text(model), {"c": config})  # noqa: S102 - the text above, nothing else
    cfg = JelaiTutor(config=config)
    body = rewrite_body(cfg, "chat", page_body(model))
    completed = complete_chat(cfg, body, None, cfg.context_fit().budget)
    return json.dumps(chat_request(completed.body, model.model)).encode()


def text_pieces(response: Response) -> list[tuple[float, str]]:
    """Each piece of reply text and when it arrived, from either stream: the
    model server's events (`data: {...}`) or jelai's NDJSON lines."""
    pieces: list[tuple[float, str]] = []
    pending = b""
    for moment, part in response.arrivals:
        pending += part
        *lines, pending = pending.split(b"\n")
        for line in lines:
            text = line.strip()
            if text.startswith(b"data:"):
                text = text[5:].strip()
            if not text or text == b"[DONE]":
                continue
            data = json.loads(text)
            if "choices" in data:
                choice = data["choices"][0] if data["choices"] else {}
                piece = (choice.get("delta") or {}).get("content")
            else:
                piece = (data.get("message") or {}).get("content")
            if piece:
                pieces.append((moment, piece))
    return pieces


class Sample:
    """One answered question: time to first token (s), pace (pieces/s), reply."""

    def __init__(self, response: Response) -> None:
        pieces = text_pieces(response)
        if response.status != 200 or len(pieces) < 2:
            raise ValueError(f"HTTP {response.status}, {len(pieces)} pieces of text")
        self.ttft = pieces[0][0] - response.started
        self.pace = (len(pieces) - 1) / max(pieces[-1][0] - pieces[0][0], 1e-9)
        self.reply = "".join(piece for _, piece in pieces)


async def ask(way: Route, body: bytes) -> Sample:
    return Sample(await way.connection.request("POST", way.path, body))


async def rounds(
    ways: dict[str, tuple[Route, bytes]], count: int, warmup: int
) -> dict[str, list[Sample]]:
    """`count` questions each way after `warmup` rounds, the ways taking turns."""
    names = list(ways)
    got: dict[str, list[Sample]] = {name: [] for name in names}
    for i in range(warmup + count):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            way, body = ways[name]
            sample = await ask(way, body)
            if i >= warmup:
                got[name].append(sample)
    for way, _ in ways.values():
        await way.connection.close()
    return got


@contextmanager
def standalone(folder: Path, model: RealModelServer) -> Iterator[Route]:
    """A Jupyter server with jelai whose one upstream is the real model."""
    options = [f"--Jelai.data_dir={folder / 'real-model-server' / 'jelai-data'}"]
    server = Jupyter("real-model-server", folder, options, config=settings_text(model))
    with server.launch():
        headers = {
            "Content-Type": "application/json",
            **server.auth,
            "X-Jelai-Notebook": "bench.ipynb",
            "X-Jelai-Session": "bench",
        }
        yield Route(server.port, "/jelai/ollama/api/chat", headers)


@contextmanager
def course_chain(folder: Path, model: RealModelServer) -> Iterator[Route]:
    """A real JupyterHub whose jelai service's one upstream is the real model,
    and the student's way to it through their own server."""
    root = folder.absolute() / "real-model-hub"
    service_config = root / "service-config" / "jelai_service_config.py"
    service_config.parent.mkdir(parents=True)
    service_config.write_text(settings_text(model))
    extra = course_settings(root, [STUDENT]) | {
        "models": [model.model],
        "service_config": str(service_config),
    }
    with running_hub(root, extra) as hub:
        tokens = start_course(hub, [STUDENT])
        yield chained(hub, STUDENT, tokens[STUDENT])


def measure(folder: Path, model: RealModelServer, count: int) -> list[Row]:
    direct = Route(model.port, "/v1/chat/completions", {"Content-Type": "application/json"})
    sent = direct_body(model)
    page = json.dumps(page_body(model)).encode()
    with standalone(folder, model) as server, course_chain(folder, model) as chain:
        ways = {"direct": (direct, sent), "standalone": (server, page), "chain": (chain, page)}
        got = asyncio.run(rounds(ways, count, warmup=3))
    return rows(got, count)


def rows(got: dict[str, list[Sample]], count: int) -> list[Row]:
    replies = {sample.reply for samples in got.values() for sample in samples}
    same = "the same reply every time" if len(replies) == 1 else f"{len(replies)} different replies"
    ttft = {name: median([s.ttft for s in samples]) for name, samples in got.items()}
    pace = {name: median([s.pace for s in samples]) for name, samples in got.items()}
    note = f"{count} questions each way, in turn; temperature 0, {REPLY_TOKENS} tokens; {same}"

    def added(name: str, limit: float, hops: str) -> Row:
        extra = ttft[name] - ttft["direct"]
        return Row(
            f"{LABEL}: time to first token {hops}, median ({note})",
            ms(ttft[name]),
            ms(ttft["direct"]) + " model server direct",
            f"+{ms(extra)}",
            f"added <= {limit:g} ms",
            at_most(extra * 1000, limit, "ms"),
        )

    ratio = min(pace["standalone"], pace["chain"]) / pace["direct"]
    return [
        added("standalone", ADDED_STANDALONE_MS, "through a standalone Jupyter server"),
        added(
            "chain",
            ADDED_CHAIN_MS,
            "through the course chain (hub proxy, student's server, service)",
        ),
        Row(
            f"{LABEL}: pieces of text per second after the first, median",
            f"{pace['standalone']:.1f}/s standalone, {pace['chain']:.1f}/s course chain",
            f"{pace['direct']:.1f}/s model server direct",
            f"{ratio:.3f}x (the slower way)",
            f">= {PACE_RATIO:g}x",
            at_least(ratio, PACE_RATIO, "x"),
        ),
    ]


def run(folder: Path, quick: bool) -> list[Row]:
    count = 8 if quick else 30
    try:
        model = RealModelServer(log_path=folder / "real-model" / "server.log").start()
    except Missing as error:
        return [failed(LABEL, str(error)[:300])]
    try:
        return measure(folder, model, count)
    except (Exception, pytest.fail.Exception) as error:  # a server did not start or answer
        return [failed(LABEL, f"{type(error).__name__}: {error}"[:300])]
    finally:
        model.stop()
