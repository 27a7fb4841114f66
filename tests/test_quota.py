"""The tutor's quotas: questions per hour and tokens per day, per student and course."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from jelai.gateway.quota import (
    DAY_SECONDS,
    QuotaExceeded,
    QuotaLimits,
    Quotas,
    exchange_tokens,
    stored_usage,
)
from jelai.gateway.tokens import estimate_messages, estimate_tokens
from jelai.record.events import new_event
from jelai.store import EventStore

# 2024-03-05 10:00:00 UTC
TEN = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self, now: float = TEN) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def refusal(quotas: Quotas, user: str, exempt: bool = False) -> QuotaExceeded:
    with pytest.raises(QuotaExceeded) as refused:
        quotas.admit(user, exempt)
    return refused.value


def test_questions_per_hour_free_up_as_the_oldest_leave_the_hour() -> None:
    clock = Clock()
    quotas = Quotas(QuotaLimits(student_questions_per_hour=3), clock)
    for minutes in (0, 10, 20):
        clock.now = TEN + minutes * 60
        quotas.admit("ana")
    clock.now = TEN + 30 * 60
    refused = refusal(quotas, "ana")
    # The first question leaves the hour at 11:00, 30 minutes from now.
    assert (refused.status, refused.retry_after) == (429, 1800)
    assert refused.retry_at == "2024-03-05T11:00:00.000Z"
    assert (refused.reason, refused.scope, refused.limit, refused.used) == (
        "questions_per_hour",
        "student",
        3,
        3,
    )
    assert "You have asked 3 questions in the last hour; this course allows 3." in refused.message
    assert "You can ask again at 11:00:00 UTC (in 30 minutes)." in refused.message
    quotas.admit("bob")  # others are not held up
    clock.now = TEN + 3600 - 1
    refusal(quotas, "ana")  # a refused question is not counted, nor is this one
    clock.now = TEN + 3600
    quotas.admit("ana")
    assert quotas.used("ana") == (3, 0)


def test_tokens_per_day_count_when_the_reply_ends_and_reset_at_midnight_utc() -> None:
    clock = Clock()
    quotas = Quotas(QuotaLimits(student_tokens_per_day=1000), clock)
    quotas.admit("ana")
    quotas.spend("ana", 900)
    quotas.admit("ana")  # 900 < 1000: asked, and the reply may pass the limit
    quotas.spend("ana", 300)
    refused = refusal(quotas, "ana")
    midnight = (TEN // DAY_SECONDS + 1) * DAY_SECONDS
    assert (refused.reason, refused.used, refused.retry_after) == (
        "tokens_per_day",
        1200,
        midnight - TEN,
    )
    assert refused.retry_at == "2024-03-06T00:00:00.000Z"
    assert "(in 14 hours)" in refused.message
    clock.now = midnight
    quotas.admit("ana")
    assert quotas.used("ana") == (1, 0)  # the day's tokens, and the hour's questions


def test_the_course_limit_counts_every_student() -> None:
    clock = Clock()
    quotas = Quotas(QuotaLimits(course_questions_per_hour=3, course_tokens_per_day=10**6), clock)
    for user in ("ana", "bob", "cid"):
        quotas.admit(user)
        clock.now += 60
    refused = refusal(quotas, "dan")
    assert (refused.scope, refused.used, refused.retry_after) == ("course", 3, 3600 - 180)
    assert "The class has asked 3 questions in the last hour" in refused.message


def test_the_latest_moment_is_given_when_several_limits_are_reached() -> None:
    clock = Clock()
    limits = QuotaLimits(student_questions_per_hour=1, student_tokens_per_day=10)
    quotas = Quotas(limits, clock)
    quotas.admit("ana")
    quotas.spend("ana", 50)
    refused = refusal(quotas, "ana")
    # In an hour she may ask again for the hour, but not for the day.
    assert (refused.reason, refused.retry_at) == ("tokens_per_day", "2024-03-06T00:00:00.000Z")


def test_exempt_callers_are_never_refused_but_count_towards_the_course() -> None:
    quotas = Quotas(QuotaLimits(student_questions_per_hour=1, course_questions_per_hour=3))
    for _ in range(3):
        quotas.admit("teacher", exempt=True)
    assert quotas.used("teacher") == (3, 0)
    assert refusal(quotas, "ana").scope == "course"


def test_no_limits_means_no_quotas() -> None:
    assert not QuotaLimits()
    assert QuotaLimits(course_tokens_per_day=1)


def test_an_exchange_uses_its_prompt_and_reply_tokens() -> None:
    assert exchange_tokens({"prompt_eval_count": 120, "eval_count": 30}) == 150
    assert exchange_tokens({"prompt_eval_count": None, "eval_count": None}) == 0
    assert exchange_tokens({"eval_count": True}) == 0


def test_a_reply_stopped_before_its_counts_still_costs_its_tokens() -> None:
    # Hanging up before the model's last line must not make a question free.
    question = [{"role": "user", "content": "Why does my loop never end? " * 20}]
    stopped = {"messages": question, "reply": "Look at the condition " * 30, "status": "stopped"}
    stopped |= {"prompt_eval_count": None, "eval_count": None}
    assert exchange_tokens(stopped) == estimate_messages(question) + estimate_tokens(
        stopped["reply"]
    )
    assert exchange_tokens(stopped) > 100
    # What the model wrote counts, also where the student was shown less.
    blocked = {**stopped, "reply": "", "model_reply": stopped["reply"]}
    assert exchange_tokens(blocked) == exchange_tokens(stopped)


def test_a_stopped_reply_costs_the_whole_prompt_the_gateway_counted() -> None:
    question = [{"role": "user", "content": "Why does my loop never stop?"}]
    stopped = {"messages": question, "reply": "Look at the condition " * 3, "status": "stopped"}
    stopped |= {"prompt_eval_count": None, "eval_count": None}
    # The system prompt (the hidden layer at its share) and the page's messages.
    stopped["prompt"] = {"mode": "tutor", "tokens": 2177}
    assert exchange_tokens(stopped) == 2177 + estimate_tokens(stopped["reply"])
    # What the model wrote counts once, whatever the student was shown of it.
    held = {**stopped, "reply": "(held back)", "model_reply": stopped["reply"]}
    held |= {"reasoning": "They forgot x.", "model_reasoning": None}
    assert exchange_tokens(held) == 2177 + estimate_tokens(stopped["reply"] + "They forgot x.")


def test_counts_survive_a_restart_through_the_stored_exchanges(tmp_path) -> None:
    store = EventStore(tmp_path / "events.sqlite3")

    def exchange(minutes_ago: float, tokens: int | None) -> dict:
        event = new_event(
            "chat.exchange",
            {
                "model": "m",
                "messages": [],
                "reply": "",
                "status": "finished",
                "ttft_ms": None,
                "total_ms": 1,
                "prompt_eval_count": tokens,
                "eval_count": 0 if tokens is not None else None,
            },
            session="s",
        )
        when = datetime.fromtimestamp(TEN - minutes_ago * 60, timezone.utc)
        event["time"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return event

    # Yesterday's exchange counts for nothing; the one 90 minutes ago for today's
    # tokens; the last hour's for both.
    store.add("ana", [exchange(60 * 24, 5000), exchange(90, 400), exchange(30, 300)])
    store.add("bob", [exchange(10, None)])
    refused = new_event(
        "tutor.refused",
        {
            "reason": "questions_per_hour",
            "scope": "student",
            "limit": 1,
            "used": 1,
            "retry_at": "2024-03-05T11:00:00.000Z",
        },
        session="s",
    )
    store.add("bob", [refused])  # a refused question was never asked

    clock = Clock()
    quotas = Quotas(QuotaLimits(student_questions_per_hour=2), clock)
    quotas.restore(stored_usage(store, clock.now))
    assert quotas.used("ana") == (1, 700)
    assert quotas.used("bob") == (1, 0)
    assert quotas.used(None) == (2, 700)
    quotas.admit("ana")
    assert refusal(quotas, "ana").used == 2
