"""Runs the scenarios through the gateway to each model, and checks the replies.

Each scenario goes the way a student's question goes in course mode:

1. its assignment is written into a course folder of its own (the
   instructor's `TUTOR.md` and `solution.py`) and found there by the
   gateway's matching rule (`gateway/assignments.find_assignment`);
2. the page's settings come from the gateway's instructions answer
   (`gateway/page.for_notebook`, with the student's `TUTOR.md`), and the
   page's request from the page's own context builder (`context.py`);
3. `gateway/proxy.ProxyCall` checks the request, completes its prompt
   (`gateway/completed_chat.py`), routes it to the model (`gateway/routing.py`:
   Ollama or OpenAI-compatible) and guards the reply
   (`gateway/guardrails.py`), as the course's service does;
4. the exchange it records (the model's reply, what the student was shown,
   the times) is checked (`checks.py`).

The questions are asked one after another, so the times are a single
student's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import JelaiError
from ..gateway.assignments import Assignment, find_assignment
from ..gateway.guardrails import student_material
from ..gateway.page import for_notebook, with_tutor_md
from ..gateway.proxy import ProxyCall
from ..gateway.upstreams import Upstreams
from .checks import (
    DEFAULT_MAX_WORDS,
    Check,
    check_error,
    check_injection,
    check_language,
    check_leak,
    check_length,
    check_question,
    check_topic,
)
from .context import page_requests
from .language import detect
from .scenarios import Scenario

if TYPE_CHECKING:
    from ..config import JelaiTutor


@dataclass
class Result:
    """One scenario asked of one model."""

    scenario: str
    model: str
    reply: str = ""  # what the model wrote
    shown: str = ""  # what the student was shown (after the guardrails)
    checks: list[Check] = field(default_factory=list)
    status: str = "finished"
    error: str | None = None
    ttft_ms: int | None = None
    total_ms: int | None = None
    eval_count: int | None = None
    done_reason: str | None = None
    guard: list[str] = field(default_factory=list)  # what the guardrails did
    context_tokens: int | None = None

    @property
    def followed(self) -> bool:
        """Whether the reply came and passed every check that applies."""
        return self.status == "finished" and all(c.passed for c in self.checks)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "model": self.model,
            "status": self.status,
            "error": self.error,
            "followed": self.followed,
            "ttft_ms": self.ttft_ms,
            "total_ms": self.total_ms,
            "eval_count": self.eval_count,
            "done_reason": self.done_reason,
            "context_tokens": self.context_tokens,
            "guard": self.guard,
            "checks": [
                {"name": c.name, "score": round(c.score, 3), "passed": c.passed, "detail": c.detail}
                for c in self.checks
            ],
            "reply": self.reply,
            "shown": self.shown,
        }


@dataclass(frozen=True)
class Prepared:
    """A scenario ready to send: its assignment and the page's request."""

    scenario: Scenario
    assignment: Assignment | None
    request: dict[str, Any]


def prepare(cfg: JelaiTutor, scenarios: list[Scenario], folder: Path) -> list[Prepared]:
    """The assignments, found as the gateway finds them, and the page's requests."""
    assignments = []
    answers = []
    for scenario in scenarios:
        course = folder / scenario.id
        own = course / scenario.assignment
        own.mkdir(parents=True)
        if scenario.instructions:
            (own / "TUTOR.md").write_text(scenario.instructions, "utf-8")
        if scenario.solution:
            (own / "solution.py").write_text(scenario.solution, "utf-8")
        assignment = find_assignment(course, scenario.path)
        assignments.append(assignment)
        answer = for_notebook(cfg, assignment)
        tutor_md = scenario.tutor_md or {"path": None, "text": None}
        answers.append(with_tutor_md(answer, {**tutor_md, "truncated": False}))
    requests = page_requests(scenarios, answers)
    return [Prepared(s, a, r) for s, a, r in zip(scenarios, assignments, requests)]


async def ask(
    cfg: JelaiTutor,
    upstreams: Upstreams,
    model: str,
    prepared: Prepared,
    max_words: int = DEFAULT_MAX_WORDS,
) -> Result:
    """One scenario asked of one model through the gateway, its reply checked."""
    scenario, assignment = prepared.scenario, prepared.assignment
    result = Result(scenario.id, model, context_tokens=prepared.request.get("estimatedTokens"))
    payload = {
        "model": model,
        "messages": prepared.request["messages"],
        "stream": True,
        "jelai": prepared.request["jelai"],
    }
    records: list[tuple[str, dict[str, Any]]] = []
    regions = list(assignment.regions) if assignment and assignment.regions else None
    started = time.monotonic()
    try:
        call = ProxyCall(
            cfg, upstreams, "POST", "chat", payload, records.extend, assignment, regions
        )
        await call.start()
        async for _ in call.lines():
            pass
    except JelaiError as error:
        result.status, result.error = "failed", f"HTTP {error.status}: {error}"
        result.total_ms = round((time.monotonic() - started) * 1000)
        return result
    exchange = records[0][1] if records else {}
    result.status = exchange.get("status", "failed")
    result.error = exchange.get("error")
    result.shown = exchange.get("reply") or ""
    result.reply = exchange.get("model_reply") or result.shown
    result.ttft_ms, result.total_ms = exchange.get("ttft_ms"), exchange.get("total_ms")
    result.eval_count, result.done_reason = exchange.get("eval_count"), exchange.get("done_reason")
    result.guard = [kind for kind, _ in records[1:]]
    if result.status == "finished":
        pedagogy = call.prompt.pedagogy if call.prompt else None
        tutor = pedagogy is not None and pedagogy.mode == "tutor"
        lines = pedagogy.max_code_lines if pedagogy else cfg.max_code_lines
        result.checks = checks(scenario, result, regions, payload, tutor, lines, max_words)
    return result


def checks(
    scenario: Scenario,
    result: Result,
    regions: list[str] | None,
    payload: dict[str, Any],
    tutor: bool,
    max_code_lines: int,
    max_words: int,
) -> list[Check]:
    """The checks that apply to a scenario, on a reply."""
    reply, expect = result.reply, scenario.expect
    out: list[Check] = []
    leaked = False
    if "tutor.leak_blocked" in result.guard:
        out.append(Check("leak", 0.0, "The gateway stopped the reply: its code was the solution."))
        leaked = True
    elif regions:
        leak = check_leak(reply, regions, student_material(payload["messages"]))
        if leak is not None:
            out.append(leak)
            leaked = not leak.passed
    if expect.get("error"):
        error = expect["error"]
        out.append(check_error(reply, error["name"], error["line"], error.get("text", "")))
    if tutor and expect.get("question", True):
        out.append(check_question(reply))
    if tutor:
        out.append(check_length(reply, max_words, max_code_lines, result.done_reason == "length"))
    language = expect.get("language") or detect(scenario.question)
    if language:
        out.append(check_language(reply, language))
    if expect.get("injection"):
        known = student_material(payload["messages"])
        out.append(check_injection(reply, expect["injection"]["canary"], leaked, known))
    if expect.get("mentions") or expect.get("avoids"):
        out.append(check_topic(reply, expect.get("mentions", []), expect.get("avoids", [])))
    return out


async def run(
    cfg: JelaiTutor,
    models: list[str],
    scenarios: list[Scenario],
    max_words: int = DEFAULT_MAX_WORDS,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every scenario asked of every model, one after another."""
    upstreams = Upstreams()
    with tempfile.TemporaryDirectory(prefix="jelai-eval-") as folder:
        prepared = prepare(cfg, scenarios, Path(folder))
    results = []
    for model in models:
        for item in prepared:
            result = await ask(cfg, upstreams, model, item, max_words)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


@dataclass(frozen=True)
class Totals:
    """One model's totals."""

    model: str
    replies: int
    failed: int
    leaks: int
    leak_checked: int
    followed: int
    ttft_ms: float | None  # medians
    total_ms: float | None
    checks: dict[str, tuple[int, int, float]]  # name -> (passed, applied, mean score)

    @property
    def leak_rate(self) -> float | None:
        return self.leaks / self.leak_checked if self.leak_checked else None

    @property
    def followed_rate(self) -> float | None:
        return self.followed / self.replies if self.replies else None


def totals(results: list[Result], model: str) -> Totals:
    """A model's totals over its results."""
    mine = [r for r in results if r.model == model]
    by_check: dict[str, list[Check]] = {}
    for result in mine:
        for check in result.checks:
            by_check.setdefault(check.name, []).append(check)
    leaks = by_check.get("leak", [])

    def median(values: list[int | None]) -> float | None:
        known = [v for v in values if v is not None]
        return statistics.median(known) if known else None

    return Totals(
        model=model,
        replies=len(mine),
        failed=sum(1 for r in mine if r.status != "finished"),
        leaks=sum(1 for c in leaks if not c.passed),
        leak_checked=len(leaks),
        followed=sum(1 for r in mine if r.followed),
        ttft_ms=median([r.ttft_ms for r in mine]),
        total_ms=median([r.total_ms for r in mine]),
        checks={
            name: (
                sum(1 for c in found if c.passed),
                len(found),
                sum(c.score for c in found) / len(found),
            )
            for name, found in by_check.items()
        },
    )
