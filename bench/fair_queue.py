"""7. The tutor's fair queue: 200 students asking at once.

The course's service (`gateway_service.py`: the real `jelai service` with
the hub's token check stood in for) lets the model server generate 8
replies at once (`c.JelaiService.max_concurrent_generations`) and lets each
student ask 3 questions an hour. The fake Ollama writes every reply at a
fixed pace (20 tokens, 50 ms each). 200 students ask at the same moment,
in a shuffled order: one in ten asks four questions at once, the fourth of
which is past the quota. The fake holds its first replies until every
request has reached the service, so that the order is the queue's alone,
not how fast 260 connections open on a small machine; waits count from
that moment.

- Outcomes: every request is answered (Ollama's `done` line) or refused
  with a reason (429, `Retry-After`, the quota named), nothing else; the
  store holds one `chat.exchange` per answer and one `tutor.refused` per
  refusal; the model server never generates more than 8 at once.
- Waits: a student's wait is that of their question answered first, from
  the release to its first word, less the model's own time to its first
  word (measured directly in the same run). Max and Jain's fairness index
  over the students, (sum x)^2 / (n sum x^2), beside the ideal schedule:
  the waiting first questions served 8 at a time, each reply taking the
  direct generation time.
- Order: no eager student's later question is answered a round before a
  first question that was waiting with it (the replies run in rounds of 8
  released together, so a round is half a reply time apart or more).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from report import Row, at_least, at_most, median
from servers import ROOT, Process, fake_ollama, http_json

from jelai.store import EventStore

SLOTS = 8
PER_HOUR = 3
EAGER_QUESTIONS = 4
DELAY = 0.05  # seconds per token
REPLY = " ".join(f"w{n}" for n in range(20))  # 20 tokens
PREFIX = "/services/jelai/"
TIMEOUT = 300.0  # seconds for one whole request; the run itself takes under a minute


@dataclass
class Asked:
    """One question and what became of it (perf_counter seconds)."""

    user: str
    number: int  # 1 for the student's first question
    status: int = 0
    places: list[int] = field(default_factory=list)
    first_word: float = 0.0
    done: bool = False
    error: str = ""
    retry_after: str = ""
    reason: str = ""

    @property
    def question(self) -> str:
        return f"{self.user} question {self.number}"

    @property
    def answered(self) -> bool:
        return self.status == 200 and self.done and not self.error

    @property
    def refused(self) -> bool:
        return self.status == 429 and bool(self.retry_after) and bool(self.reason)


async def ask(port: int, asked: Asked) -> None:
    """Sends one streamed question and reads its answer line by line."""
    body = json.dumps(
        {
            "model": "llama3.1:8b",
            "messages": [{"role": "user", "content": asked.question}],
            "stream": True,
        }
    ).encode()
    head = [
        f"POST {PREFIX}ollama/api/chat HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Authorization: token {asked.user}",
        "X-Jelai-Notebook: lab.ipynb",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        await asyncio.wait_for(read_answer(reader, asked), TIMEOUT)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
        asked.error = asked.error or f"{type(error).__name__}: {error}"
    finally:
        writer.close()


async def read_answer(reader: asyncio.StreamReader, asked: Asked) -> None:
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    asked.status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:])
    }
    if "content-length" in headers:
        answer = json.loads(await reader.readexactly(int(headers["content-length"])))
        asked.error = answer.get("error", "") if asked.status != 429 else ""
        asked.retry_after = headers.get("retry-after", "")
        asked.reason = answer.get("reason", "")
        return
    pending = b""
    while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
        pending += (await reader.readexactly(size + 2))[:-2]
        now = time.perf_counter()
        *complete, pending = pending.split(b"\n")
        for line in filter(None, complete):
            item = json.loads(line)
            if "jelai" in item:
                asked.places.append(item["jelai"]["queue"]["position"])
            elif "error" in item:
                asked.error = str(item["error"])
            else:
                asked.first_word = asked.first_word or now
                asked.done = asked.done or item.get("done") is True
    await reader.readline()


def jain(values: list[float]) -> float:
    """Jain's fairness index: 1 when all are equal, 1/n when one has everything."""
    total, squares = sum(values), sum(v * v for v in values)
    return 1.0 if squares == 0 else total * total / (len(values) * squares)


def direct_times(fake_url: str, runs: int) -> tuple[float, float]:
    """(time to first word, whole reply) of the fake itself, medians over `runs`."""

    async def measure() -> list[tuple[float, float]]:
        port = int(fake_url.rsplit(":", 1)[1])
        out = []
        for _ in range(runs):
            body = json.dumps(
                {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "x"}]}
            ).encode()
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            head = f"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
            asked = Asked("direct", 1)
            await read_answer(reader, asked)
            out.append((asked.first_word - started, time.perf_counter() - started))
            writer.close()
        return out

    times = asyncio.run(measure())
    return median([t[0] for t in times]), median([t[1] for t in times])


def run(folder: Path, quick: bool) -> list[Row]:
    students, eager = (50, 5) if quick else (200, 20)
    work = folder / "fair-queue"
    store_url = f"sqlite:///{work / 'service' / 'events.sqlite3'}"
    with fake_ollama(work, DELAY) as fake:
        http_json(f"{fake.url}/_fake/config", {"reply": REPLY}, method="POST")
        ttft, generation = direct_times(fake.url, 5)
        argv = [
            sys.executable,
            str(ROOT / "bench" / "gateway_service.py"),
            "{port}",
            f"--JelaiService.store_url={store_url}",
            f"--JelaiService.max_concurrent_generations={SLOTS}",
            f"--JelaiService.student_questions_per_hour={PER_HOUR}",
            f"--JelaiTutor.ollama_url={fake.url}",
            "--JelaiTutor.default_model=llama3.1:8b",
        ]
        with Process("service", argv, work, {}) as service:
            service.start(f"{PREFIX}config", {"Authorization": "token bench"})
            http_json(f"{fake.url}/_fake/reset", {}, method="POST")
            http_json(f"{fake.url}/_fake/config", {"reply": REPLY, "hold_after": 0}, method="POST")
            asked, released = asyncio.run(burst(service.port, fake.url, students, eager))
            log = http_json(f"{fake.url}/_fake/requests")
    assert isinstance(log, dict)
    stored = EventStore(store_url)
    try:
        kinds = ("chat.exchange", "tutor.refused", "tutor.queued")
        events = stored.query(user=None, notebook=None, types=list(kinds))
    finally:
        stored.close()
    return rows(asked, released, log, events, students, eager, ttft, generation)


async def burst(port: int, fake_url: str, students: int, eager: int) -> tuple[list[Asked], float]:
    """Every question at once; the fake is released once all have reached the service."""
    names = [f"s{n:03d}" for n in range(students)]
    asked = [
        Asked(name, number)
        for n, name in enumerate(names)
        for number in range(1, (EAGER_QUESTIONS if n % (students // eager) == 0 else 1) + 1)
    ]
    random.Random(7).shuffle(asked)
    tasks = [asyncio.ensure_future(ask(port, one)) for one in asked]
    loop = asyncio.get_running_loop()

    def arrived() -> bool:
        # Those with a slot are held by the fake; the rest were told their place or refused.
        told = sum(1 for one in asked if one.places or one.status == 429 or one.error)
        log = http_json(f"{fake_url}/_fake/requests")
        return isinstance(log, dict) and told + len(log["requests"]) == len(asked)

    deadline = time.monotonic() + TIMEOUT
    while not await loop.run_in_executor(None, arrived) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    released = time.perf_counter()
    await loop.run_in_executor(
        None, lambda: http_json(f"{fake_url}/_fake/release", {}, method="POST")
    )
    await asyncio.gather(*tasks)
    return asked, released


def rows(
    asked: list[Asked],
    released: float,
    log: dict,
    events: list[dict],
    students: int,
    eager: int,
    ttft: float,
    generation: float,
) -> list[Row]:
    answered = [one for one in asked if one.answered]
    refused = [one for one in asked if one.refused]
    lost = [one for one in asked if not (one.answered or one.refused)]
    reasons = sorted({one.reason for one in refused})
    count = {kind: 0 for kind in ("chat.exchange", "tutor.refused", "tutor.queued")}
    for event in events:
        count[event["type"]] += 1
    finished = sum(
        1 for e in events if e["type"] == "chat.exchange" and e["data"]["status"] == "finished"
    )
    peak = log["peak_generating"]
    received = [r for r in log["requests"] if r["path"] == "/api/chat"]
    whole = (
        not lost
        and finished == count["chat.exchange"] == len(answered) == len(received)
        and count["tutor.refused"] == len(refused)
        and peak <= SLOTS
    )
    name = (
        f"7. fair queue: {students} students at once ({eager} ask {EAGER_QUESTIONS}), "
        f"{SLOTS} generations at a time, {PER_HOUR} questions an hour each"
    )
    outcome = Row(
        name,
        f"{len(answered)} answered, {len(refused)} refused ({', '.join(reasons) or 'none'}, "
        f"with Retry-After), {len(lost)} lost; the model server ran at most {peak} at once; "
        f"stored {count['chat.exchange']} exchanges, {count['tutor.refused']} refusals, "
        f"{count['tutor.queued']} waits",
        f"{len(asked)} sent",
        "",
        f"every request answered or refused with a reason, nothing lost, <= {SLOTS} at once",
        "met" if whole else f"MISSED: {len(lost)} lost, {peak} at once, store {count}",
    )

    # A student's first question is the one answered first (they all left at once).
    mine: dict[str, list[Asked]] = {}
    for one in sorted(answered, key=lambda one: one.first_word):
        mine.setdefault(one.user, []).append(one)
    firsts = [questions[0] for questions in mine.values()]
    later = [one for questions in mine.values() for one in questions[1:]]
    waits = [max(0.0, one.first_word - released - ttft) for one in firsts]
    waited_firsts = sum(1 for one in firsts if one.places)
    ideal = [0.0] * (len(firsts) - waited_firsts) + [
        (k // SLOTS + 1) * generation for k in range(waited_firsts)
    ]
    waits = waits or [0.0]
    worst, fair, best_worst, best_fair = max(waits), jain(waits), max(ideal), jain(ideal)
    wait_row = Row(
        f"7. fair queue: wait of each student's first question ({len(firsts)} students)",
        f"max {worst:.1f} s, median {median(waits):.1f} s, Jain's index {fair:.3f}",
        f"ideal turns at the direct reply time {generation:.2f} s: "
        f"max {best_worst:.1f} s, Jain's index {best_fair:.3f}",
        f"max {worst / best_worst:.2f}x, Jain {fair / best_fair:.2f}x" if best_worst else "",
        "max <= 1.25x ideal, Jain's index >= 0.95x ideal",
        _both(
            at_most(worst / best_worst if best_worst else 1.0, 1.25, "x"),
            at_least(fair / best_fair if best_fair else 1.0, 0.95, "x"),
        ),
    )

    # Replies run in rounds (all released together), and the slots a round frees
    # are granted at the same moment: a question is out of turn when its first
    # word came a round (half a reply, to be safe) before a waiting first's.
    waiting_firsts = [one for one in firsts if one.places]
    waiting_later = [one for one in later if one.places]
    jumps = sum(
        1
        for one in waiting_later
        for first in waiting_firsts
        if one.first_word < first.first_word - generation / 2
    )
    later_waits = [one.first_word - released - ttft for one in later]
    order = Row(
        f"7. fair queue: the {eager} eager students' later questions",
        f"{jumps} went before a waiting first question; their median wait "
        f"{median(later_waits or [0.0]):.1f} s",
        f"{len(waiting_firsts)} first and {len(waiting_later)} later questions waited",
        "",
        "none goes before another student's first",
        "met" if jumps == 0 else f"MISSED: {jumps} pairs out of turn",
    )
    return [outcome, wait_row, order]


def _both(*verdicts: str) -> str:
    missed = [v for v in verdicts if v != "met"]
    return "met" if not missed else "; ".join(missed)
