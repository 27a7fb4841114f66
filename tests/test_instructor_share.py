"""The model's own counts tell a student nothing of the instructor's hidden layer.

The course's service runs in the test's event loop beside the fake model
server (as in tests/test_gateway_admission.py: the hub's token check is
stood in for, the token is the user's name). Two assignments carry hidden
layers of very different lengths; the model counts each prompt as it is,
and the fake's prompt durations grow with it, as a real model's do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from jelai.config import JelaiTutor
from jelai.errors import JelaiError
from jelai.gateway.assignments import Assignment
from jelai.gateway.completed_chat import complete_chat
from jelai.gateway.instructor_share import INSTRUCTOR_LAYER_TOKENS, PROMPT_TIMINGS
from tests.fake_ollama import FakeOllama, tokenize
from tests.service_in_process import Service, services

QUESTION = "Why does my loop never stop?"
SHORT = "Do not mention recursion."
SOLUTION = "def total(values):\n    return sum(v * v for v in values)\n"
# Fields the fake fills from its clock: they differ between any two replies.
CLOCK = ("created_at", "eval_duration")
# What differs between two exchanges of the same question, whatever the prompt.
RECORD_CLOCK = ("ttft_ms", "total_ms")


def write_course(root: Path) -> Path:
    """`short/` and `long/`: the same rule, the second one written out at length."""
    for name, repeat in (("short", 1), ("long", 200)):
        (root / name).mkdir(parents=True)
        (root / name / "TUTOR.md").write_text(f"{SHORT} " * repeat)
        (root / name / "solution.py").write_text(SOLUTION * repeat)
    return root


@pytest.fixture
def start_service(
    jp_asyncio_loop: asyncio.AbstractEventLoop,
    fake: FakeOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """Starts the course's service with the course folder, through `api`'s model server."""
    with services(jp_asyncio_loop, monkeypatch, tmp_path / "events.sqlite3", fake) as started:

        async def start(api: str, *options: str) -> Service:
            course = write_course(tmp_path / "course")
            upstream = {"url": fake.url, "api": api}
            config = tmp_path / "jelai_service_config.py"
            config.write_text(f"c.JelaiTutor.upstreams = {[upstream]!r}\n")
            args = [f"--config={config}", f"--JelaiService.course_dir={course}", *options]
            return await started(args)

        yield start


async def ask(service: Service, user: str, notebook: str, stream: bool) -> tuple[int, Any]:
    """A student's question about `notebook`: the status, and the reply's last
    line (the whole object of an unstreamed reply, the error body of a refusal)."""
    body = {"model": "llama3.1:8b", "stream": stream}
    body["messages"] = [{"role": "user", "content": QUESTION}]
    response = await service.fetch(
        user,
        "ollama/api/chat",
        method="POST",
        body=json.dumps(body),
        headers={"X-Jelai-Notebook": quote(notebook, safe="")},
    )
    lines = [json.loads(line) for line in response.body.splitlines() if line.strip()]
    return response.code, lines[-1]


async def exchange(service: Service, user: str, notebook: str) -> dict[str, Any]:
    """The student's own `chat.exchange`, as they read it back."""
    path = f"events?notebook={quote(notebook, safe='')}&type=chat.exchange"
    [event] = json.loads((await service.fetch(user, path)).body)["events"]
    return event["data"]


def without(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in names}


def counted_by_the_model(fake: FakeOllama, index: int) -> int:
    """The prompt's tokens as the fake model counts them (its `prompt_eval_count`)."""
    asked = [r for r in fake.requests if r.path in ("/api/chat", "/v1/chat/completions")]
    messages = asked[index].body["messages"]
    return len(tokenize(" ".join(str(m["content"]) for m in messages))) + 4


@pytest.mark.parametrize(("api", "stream"), [("ollama", True), ("openai", True), ("ollama", False)])
async def test_two_hidden_layers_of_any_lengths_give_the_student_the_same_counts(
    start_service: Any, fake: FakeOllama, api: str, stream: bool
) -> None:
    service = await start_service(api, "--JelaiService.student_tokens_per_day=100")
    lasts, records, refusals = {}, {}, {}
    for user, name in (("ana", "short"), ("bob", "long")):
        code, lasts[name] = await ask(service, user, f"{name}/lab.ipynb", stream)
        assert code == 200 and lasts[name]["done"] is True
        records[name] = await exchange(service, user, f"{name}/lab.ipynb")
        # The reply took the student past the day's tokens: the next question is refused.
        code, refusals[name] = await ask(service, user, f"{name}/lab.ipynb", stream)
        assert code == 429 and refusals[name]["reason"] == "tokens_per_day"

    # The model was given, and counted, prompts of very different lengths...
    short, long = counted_by_the_model(fake, 0), counted_by_the_model(fake, 1)
    assert long > 3 * short
    # ...and the students were given the same counts, never the model's.
    assert without(lasts["short"], CLOCK) == without(lasts["long"], CLOCK)
    count = lasts["short"]["prompt_eval_count"]
    assert count > INSTRUCTOR_LAYER_TOKENS and count not in (short, long)
    assert lasts["short"]["eval_count"] > 0
    for name in PROMPT_TIMINGS:
        assert name not in lasts["short"]

    # Their own records say the same, and so does what the quota counted.
    assert records["short"]["prompt"].pop("assignment") == "short"
    assert records["long"]["prompt"].pop("assignment") == "long"
    assert without(records["short"], RECORD_CLOCK) == without(records["long"], RECORD_CLOCK)
    assert records["short"]["prompt_eval_count"] == count
    assert "model_prompt_eval_count" not in records["short"]
    used = count + lasts["short"]["eval_count"]
    for name in ("short", "long"):
        assert f"came to {used} tokens" in refusals[name]["error"]


async def test_staff_read_the_models_own_count_and_the_student_never_does(
    start_service: Any, fake: FakeOllama
) -> None:
    service = await start_service("ollama")
    code, last = await ask(service, "ana", "long/lab.ipynb", True)
    assert code == 200
    real = counted_by_the_model(fake, 0)
    mine = (await service.fetch("ana", "export")).body
    assert b"model_prompt_eval_count" not in mine
    staff = (await service.fetch("teacher", "export")).body.splitlines()
    [record] = [json.loads(row)["data"] for row in staff if b"chat.exchange" in row]
    assert record["model_prompt_eval_count"] == real
    assert record["prompt_eval_count"] == last["prompt_eval_count"] != real


@pytest.mark.parametrize("api", ["ollama", "openai"])
async def test_without_a_hidden_layer_the_student_gets_the_models_own_counts(
    start_service: Any, fake: FakeOllama, api: str
) -> None:
    service = await start_service(api, "--JelaiService.student_tokens_per_day=100")
    # A notebook of no assignment: the prompt is the course's, nothing hidden.
    code, last = await ask(service, "ana", "free/lab.ipynb", True)
    assert code == 200
    real = counted_by_the_model(fake, 0)
    assert last["prompt_eval_count"] == real
    assert "total_duration" in last
    if api == "ollama":
        assert last["prompt_eval_duration"] > 0 and last["load_duration"] > 0
    record = await exchange(service, "ana", "free/lab.ipynb")
    assert record["prompt_eval_count"] == real and "model_prompt_eval_count" not in record
    code, refused = await ask(service, "ana", "free/lab.ipynb", True)
    assert code == 429
    assert f"came to {real + last['eval_count']} tokens" in refused["error"]


def test_the_count_a_student_gets_is_the_one_a_413_would_give() -> None:
    course = JelaiTutor()
    body = {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}
    counts = set()
    for repeat in (1, 200):
        layer = Assignment("week1", f"{SHORT} " * repeat, SOLUTION * repeat)
        completed = complete_chat(course, body, layer, 100_000)
        assert completed.hidden
        counts.add(completed.tokens)
        with pytest.raises(JelaiError) as refused:
            complete_chat(course, body, layer, completed.tokens - 1)
        assert f"comes to about {completed.tokens} tokens" in refused.value.message
    assert len(counts) == 1
