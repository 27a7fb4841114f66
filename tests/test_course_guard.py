"""What a student can get out of the course's gateway by the way they ask.

The course's service runs in the test's event loop beside the fake model
server (as in tests/test_gateway_admission.py: the hub's token check is
stood in for, the token is the user's name). The fake plays a model that
does what the student asks; these tests check what the gateway lets
through: the student's stream, and what the student reads back of their
record.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from jelai.gateway.guardrails import LEAK_NOTE
from jelai.gateway.instructor_share import INSTRUCTOR_LAYER_TOKENS
from jelai.gateway.tokens import estimate_tokens
from tests.fake_ollama import FakeOllama
from tests.ndjson import open_chat, read_words
from tests.service_in_process import GUARD, Service, services

SOLUTION = """def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[middle - 1] + ordered[middle]) / 2
    return ordered[middle]
"""
RENAMED = SOLUTION.replace("values", "numbers").replace("ordered", "ranked")
LEAKY = f"Here it is:\n\n```python\n{RENAMED}```\n\nDone."
# Free help that has nothing to do with any assignment: ten lines of code.
HELPFUL = (
    "A plot of your data:\n\n```python\n"
    + "".join(f"axis_{i} = figure.add_subplot(5, 2, {i + 1})\n" for i in range(10))
    + "```\n\nWhat do you see?"
)
EXAM_TUTOR_MD = "---\nmode: tutor\nmax_code_lines: 2\n---\nSECRET-CANARY: guide, never solve."


WEEK1_SOLUTION = """def count_words(text):
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
"""


def write_course(root: Path) -> Path:
    """`final-exam/`: a hidden layer in tutor mode and the solution; `week1/`:
    another solution; `notes/`: a hidden layer that sets no mode, no solution."""
    (root / "final-exam").mkdir(parents=True)
    (root / "final-exam" / "TUTOR.md").write_text(EXAM_TUTOR_MD)
    (root / "final-exam" / "solution.py").write_text(SOLUTION)
    (root / "week1").mkdir()
    (root / "week1" / "solution.py").write_text(WEEK1_SOLUTION)
    (root / "notes").mkdir()
    (root / "notes" / "TUTOR.md").write_text("NOTES-CANARY: point to the lecture notes.")
    return root


@pytest.fixture
def start_service(
    jp_asyncio_loop: asyncio.AbstractEventLoop,
    fake: FakeOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """Starts the course's service over the course folder, with `options`."""
    with services(jp_asyncio_loop, monkeypatch, tmp_path / "events.sqlite3", fake) as started:

        async def start(*options: str) -> Service:
            course = write_course(tmp_path / "course")
            args = [f"--JelaiService.course_dir={course}", *options]
            return await started(args)

        yield start


async def ask(service: Service, user: str, notebook: str | None, **fields: Any) -> bytes:
    """Every byte the student receives for one question about `notebook`
    (None: the request names no notebook, as a script may send it)."""
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "Write it."}]}
    headers = {} if notebook is None else {"X-Jelai-Notebook": quote(notebook, safe="")}
    response = await service.fetch(
        user,
        "ollama/api/chat",
        method="POST",
        body=json.dumps({**body, **fields}),
        headers=headers,
    )
    assert response.code == 200, response.body
    return response.body


def content(raw: bytes) -> str:
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert lines[-1]["done"] is True
    return "".join(line["message"]["content"] for line in lines if "message" in line)


async def read_back(service: Service, user: str, notebook: str, kind: str) -> list[dict[str, Any]]:
    """The student's own events of a kind, as they read them back."""
    path = f"events?notebook={quote(notebook, safe='')}&type={kind}"
    return json.loads((await service.fetch(user, path)).body)["events"]


@pytest.mark.parametrize("course_mode", ["assistant", "tutor"])
@pytest.mark.parametrize(
    "notebook",
    ["final-exam.ipynb", "scratch.ipynb", "week1/lab.ipynb", "notes/a.ipynb", None],
    ids=["its-own", "renamed", "another-assignment", "no-solution", "none"],
)
async def test_no_notebook_name_gets_an_assignments_solution_in_any_mode(
    start_service: Any, fake: FakeOllama, course_mode: str, notebook: str | None
) -> None:
    service = await start_service(f"--JelaiTutor.mode={course_mode}")
    fake.configure(reply=LEAKY)
    raw = await ask(service, "bob", notebook)
    assert b"ranked" not in raw and b"sorted" not in raw
    assert content(raw) == "Here it is:\n\n" + LEAK_NOTE
    if notebook is not None:
        [blocked] = await read_back(service, "bob", notebook, "tutor.leak_blocked")
        assert blocked["data"]["threshold"] == 0.6


async def test_free_help_in_a_renamed_notebook_stays_free_but_never_the_solution(
    start_service: Any, fake: FakeOllama
) -> None:
    """A course that allows free help, with a tutor-mode exam: the exam's rules
    follow the notebook's name; its solution is guarded whatever the name."""
    service = await start_service("--JelaiTutor.mode=assistant")
    fake.configure(reply=HELPFUL)
    # The exam's own notebook: tutor mode, two lines of code at most.
    exam = content(await ask(service, "bob", "final-exam.ipynb"))
    assert "axis_1 " in exam and "axis_2 " not in exam
    # Any other notebook: the course's free help, the whole block.
    assert content(await ask(service, "bob", "scratch.ipynb")) == HELPFUL
    [record] = await read_back(service, "bob", "scratch.ipynb", "chat.exchange")
    assert record["data"]["prompt"]["mode"] == "assistant"
    assert record["data"]["prompt"]["assignment"] is None
    # ...and never the hidden instructions of the exam.
    systems = [r.body["messages"][0]["content"] for r in fake.received("/api/chat")]
    assert "SECRET-CANARY" in systems[0] and "SECRET-CANARY" not in systems[1]


@pytest.mark.parametrize(
    "reply",
    [
        "Here it is:\n" + "".join(f"# {line}\n" for line in RENAMED.splitlines()),
        'Here it is:\n"""\n' + RENAMED + '"""\n',
        "Here it is:\nsteps = " + json.dumps(RENAMED.splitlines(), indent=1) + "\n",
    ],
    ids=["comments", "docstring", "list-of-strings"],
)
async def test_the_solution_in_comments_or_strings_is_stopped(
    start_service: Any, fake: FakeOllama, reply: str
) -> None:
    service = await start_service()
    fake.configure(reply=reply)
    raw = await ask(service, "ana", "final-exam.ipynb")
    shown = content(raw)
    assert shown.endswith(LEAK_NOTE)
    # Stopped once it reached the rule's share: its last line never left.
    assert "return ranked[middle]" not in shown


async def test_a_held_back_reply_tells_the_student_nothing_of_the_reference(
    start_service: Any, fake: FakeOllama
) -> None:
    service = await start_service()
    fake.configure(reply=LEAKY)
    await ask(service, "bob", "final-exam.ipynb")
    [blocked] = await read_back(service, "bob", "final-exam.ipynb", "tutor.leak_blocked")
    assert set(blocked["data"]) == {"threshold", "shingle", "exchange_id"}
    mine = (await service.fetch("bob", "export")).body
    assert b"tutor.leak_blocked" in mine and b"reference_shingles" not in mine
    # Staff read how close the reply came and how long the reference is.
    course = (await service.fetch("teacher", "export")).body
    [staff] = [
        event["data"]
        for event in map(json.loads, course.splitlines())
        if event["type"] == "tutor.leak_blocked"
    ]
    assert staff["reference_shingles"] == staff["reproduced"] > 0 and staff["share"] == 1.0


CANARY = "The instructor's hidden notes say SECRET-CANARY-7731: the odd item is milk."


@pytest.mark.parametrize(
    ("notebook", "relayed"),
    [("final-exam.ipynb", False), ("notes/a.ipynb", False), ("scratch.ipynb", True)],
    ids=["tutor-mode", "hidden-layer", "free-help"],
)
async def test_reasoning_never_reaches_the_student_where_it_may_restate_hidden_rules(
    start_service: Any, fake: FakeOllama, notebook: str, relayed: bool
) -> None:
    service = await start_service("--JelaiTutor.mode=assistant")
    fake.configure(thinking=CANARY, reply="What does the traceback say?")
    raw = await ask(service, "bob", notebook, think=True)
    assert content(raw) == "What does the traceback say?"
    # Only free help with nothing hidden in the prompt relays the reasoning.
    assert (b"SECRET-CANARY" in raw) is relayed
    # The record keeps it for staff, never in what the student reads back.
    [record] = await read_back(service, "bob", notebook, "chat.exchange")
    assert "reasoning" not in record["data"]
    assert b"SECRET-CANARY" not in (await service.fetch("bob", "export")).body
    assert b"SECRET-CANARY-7731" in (await service.fetch("teacher", "export")).body


@pytest.mark.parametrize("notebook", ["final-exam.ipynb", "notes/a.ipynb"])
async def test_inline_reasoning_is_held_back_from_the_stream(
    start_service: Any, fake: FakeOllama, notebook: str
) -> None:
    service = await start_service("--JelaiTutor.mode=assistant")
    fake.configure(reply=f"<think>{CANARY}</think>\n\nWhat does the traceback say?")
    raw = await ask(service, "bob", notebook)
    assert b"CANARY" not in raw and b"think>" not in raw
    assert content(raw) == "What does the traceback say?"


async def test_a_stopped_reply_costs_its_whole_prompt(start_service: Any, fake: FakeOllama) -> None:
    """Stopping a reply early saves the rest of the reply, not the prompt."""
    service = await start_service("--JelaiService.student_tokens_per_day=1")
    await ask(service, "ana", "final-exam.ipynb")
    [finished] = await read_back(service, "ana", "final-exam.ipynb", "chat.exchange")
    # The prompt's count the student is told: the hidden layer at its fixed share.
    prompt_tokens = finished["data"]["prompt_eval_count"]
    assert prompt_tokens > INSTRUCTOR_LAYER_TOKENS

    fake.configure(hold_after=3)
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "Write it."}]}
    headers = {"Authorization": "token bob", "X-Jelai-Notebook": "final-exam.ipynb"}
    reader, writer = await open_chat(service.port, "/services/", headers, json.dumps(body).encode())
    await read_words(reader, 3, GUARD)
    writer.close()  # bob pressed stop after three words
    await asyncio.wait_for(fake.received("/api/chat")[1].ended.wait(), GUARD)

    async def recorded() -> list[dict[str, Any]]:
        while not (found := await read_back(service, "bob", "final-exam.ipynb", "chat.exchange")):
            await asyncio.sleep(0.01)
        return found

    [stopped] = await asyncio.wait_for(recorded(), GUARD)
    assert stopped["data"]["status"] == "stopped" and stopped["data"]["eval_count"] is None
    # The next question is past the day's tokens; the refusal says what the stopped one cost.
    fake.configure(hold_after=None)
    response = await service.fetch(
        "bob", "ollama/api/chat", method="POST", body=json.dumps(body), headers=headers
    )
    assert response.code == 429
    [refused] = await read_back(service, "bob", "final-exam.ipynb", "tutor.refused")
    assert refused["data"]["used"] == prompt_tokens + estimate_tokens(stopped["data"]["reply"])
    assert stopped["data"]["prompt"]["tokens"] == prompt_tokens  # kept for a restart
