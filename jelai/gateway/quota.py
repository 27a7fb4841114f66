"""Quotas of the course's tutor: questions per hour and tokens per day, per
student and for the whole course.

- A question is counted when it is let through, before the model server
  sees it, so questions sent at once cannot slip past a limit together.
  Its tokens (the model's `prompt_eval_count` + `eval_count`) are counted
  when the reply ends; a reply may take a student past the day's tokens,
  and the next question is refused. A reply that ends before the model's
  counts (stopped, cut off, held back) costs the whole prompt as the
  gateway counted it (`prompt.tokens`: its instructions, the
  instructor-only layer at its fixed share, and the page's messages) and
  an estimate of what the model wrote, so stopping early saves only the
  rest of the reply. When the prompt held the
  instructor-only layer, `prompt_eval_count` is the count the student was
  told, that layer at its fixed share (`instructor_share.py`): the
  student's usage and refusals say nothing of the layer's length.
- An hour is the last 60 minutes; a day is a UTC day, as for the ingest
  limits (`service/limits.py`).
- A question past a limit is refused whole (`QuotaExceeded`, a 429) with
  the moment asking works again: when enough of the hour's questions have
  aged out, or midnight UTC. When several limits are reached, the latest
  of those moments is given.
- Exempt callers (instructors, if the course says so) are never refused,
  but their questions and tokens count towards the course's totals: the
  course's budget is the model server's.
- Counts survive a restart: they are derived from the store. Every tutor
  question let through (`/api/chat`) ends as a `chat.exchange` event
  (finished, stopped or failed), so at start the service reads back the
  exchanges of the last hour and of the UTC day (`stored_usage`) and
  `restore`s them. An exchange's
  time is when its reply ended, which makes a restored question count for
  a little longer than it did before the restart, never less.

Nothing here knows about tornado.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import RateLimited
from ..record.events import parse_time, utc_time
from .tokens import estimate_messages, estimate_tokens

if TYPE_CHECKING:
    from ..store import EventStore

HOUR_SECONDS = 3600.0
DAY_SECONDS = 86400
EXCHANGE = "chat.exchange"
REASONS = ("questions_per_hour", "tokens_per_day")
SCOPES = ("student", "course")


@dataclass(frozen=True)
class QuotaLimits:
    """The course's limits; 0 means no limit."""

    student_questions_per_hour: int = 0
    student_tokens_per_day: int = 0
    course_questions_per_hour: int = 0
    course_tokens_per_day: int = 0

    def __bool__(self) -> bool:
        return any(
            (
                self.student_questions_per_hour,
                self.student_tokens_per_day,
                self.course_questions_per_hour,
                self.course_tokens_per_day,
            )
        )


class QuotaExceeded(RateLimited):
    """A question refused by a quota: which one, how much was used, and when
    asking works again (`retry_at`, epoch seconds, also in the 429's body)."""

    def __init__(
        self, reason: str, scope: str, limit: int, used: int, moment: float, now: float
    ) -> None:
        self.reason, self.scope, self.limit, self.used = reason, scope, limit, used
        self.moment = moment
        retry_at = utc_time(datetime.fromtimestamp(moment, timezone.utc))
        super().__init__(
            _message(reason, scope, limit, used) + f" You can ask again {_when(moment, now)}.",
            math.ceil(moment - now),
            retry_at=retry_at,
            details={"reason": reason, "scope": scope},
        )

    def event_data(self) -> dict[str, Any]:
        """The `data` of the `tutor.refused` event that records the refusal."""
        return {
            "reason": self.reason,
            "scope": self.scope,
            "limit": self.limit,
            "used": self.used,
            "retry_at": self.retry_at,
        }


@dataclass
class _Usage:
    """One student's (or the course's) questions of the last hour and tokens of a day."""

    questions: deque[float] = field(default_factory=deque)
    day: int = -1
    tokens: int = 0

    def trim(self, now: float) -> None:
        while self.questions and self.questions[0] <= now - HOUR_SECONDS:
            self.questions.popleft()

    def tokens_on(self, day: int) -> int:
        return self.tokens if self.day == day else 0

    def spend(self, day: int, tokens: int) -> None:
        if day > self.day:
            self.day, self.tokens = day, 0
        if day == self.day:  # an earlier day's tokens no longer count
            self.tokens += tokens


class Quotas:
    """Counts and checks questions and tokens; `clock` gives epoch seconds (for tests)."""

    def __init__(self, limits: QuotaLimits, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        self._students: dict[str, _Usage] = {}
        self._course = _Usage()

    def admit(self, user: str, exempt: bool = False) -> None:
        """Counts a question of `user`, or raises QuotaExceeded (nothing is
        counted then). An exempt user is counted but never refused."""
        now = self._clock()
        student = self._students.setdefault(user, _Usage())
        student.trim(now)
        self._course.trim(now)
        if not exempt:
            refusals = [
                *self._check("student", student, now),
                *self._check("course", self._course, now),
            ]
            if refusals:
                raise max(refusals, key=lambda refusal: refusal.moment)
        student.questions.append(now)
        self._course.questions.append(now)

    def spend(self, user: str, tokens: int, when: float | None = None) -> None:
        """Counts the tokens of `user`'s reply, ended at `when` (now by default)."""
        if tokens <= 0:
            return
        day = int((self._clock() if when is None else when) // DAY_SECONDS)
        self._students.setdefault(user, _Usage()).spend(day, tokens)
        self._course.spend(day, tokens)

    def restore(self, records: Iterable[tuple[str, float, int]]) -> None:
        """Counts past questions again, each `(user, when, tokens)`, oldest first."""
        now = self._clock()
        for user, when, tokens in records:
            if when > now - HOUR_SECONDS:
                self._students.setdefault(user, _Usage()).questions.append(when)
                self._course.questions.append(when)
            self.spend(user, tokens, when)

    def used(self, user: str | None) -> tuple[int, int]:
        """(questions in the last hour, tokens today) of `user`, or of the course for None."""
        now = self._clock()
        usage = self._course if user is None else self._students.get(user, _Usage())
        usage.trim(now)
        return len(usage.questions), usage.tokens_on(int(now // DAY_SECONDS))

    def _check(self, scope: str, usage: _Usage, now: float) -> list[QuotaExceeded]:
        if scope == "student":
            per_hour = self.limits.student_questions_per_hour
            per_day = self.limits.student_tokens_per_day
        else:
            per_hour = self.limits.course_questions_per_hour
            per_day = self.limits.course_tokens_per_day
        refusals = []
        asked = len(usage.questions)
        if per_hour and asked >= per_hour:
            # Room for one more when all but per_hour - 1 of them have aged out.
            moment = usage.questions[asked - per_hour] + HOUR_SECONDS
            refusals.append(
                QuotaExceeded("questions_per_hour", scope, per_hour, asked, moment, now)
            )
        day = int(now // DAY_SECONDS)
        tokens = usage.tokens_on(day)
        if per_day and tokens >= per_day:
            moment = float((day + 1) * DAY_SECONDS)
            refusals.append(QuotaExceeded("tokens_per_day", scope, per_day, tokens, moment, now))
        return refusals


def exchange_tokens(data: dict[str, Any]) -> int:
    """The tokens an exchange used: its prompt's and its reply's, as the model
    counted them. A reply that ended before the model's last line (stopped,
    cut, blocked) carries no counts; its tokens are then the prompt's as the
    gateway counted them (`prompt.tokens`, the system prompt with the
    instructor-only layer at its fixed share and the page's messages; for
    records made before it was kept, the page's messages alone) and an
    estimate of what the model wrote (`tokens.py`), so stopping early does
    not make a question free."""
    counts = (data.get("prompt_eval_count"), data.get("eval_count"))
    if all(_count(n) for n in counts):
        return sum(n for n in counts if n > 0)
    written = "".join(
        str(data.get(model) or data.get(shown) or "")
        for model, shown in (("model_reply", "reply"), ("model_reasoning", "reasoning"))
    )
    prompt = data.get("prompt")
    counted = prompt.get("tokens") if isinstance(prompt, dict) else None
    if _count(counted) and counted >= 0:
        return counted + estimate_tokens(written)
    messages = data.get("messages")
    pages = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
    return estimate_messages(pages) + estimate_tokens(written)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def stored_usage(store: EventStore, now: float) -> list[tuple[str, float, int]]:
    """`(user, when, tokens)` of every exchange stored since the start of the
    last hour or of the UTC day, whichever is earlier, oldest first."""
    since = min(now - HOUR_SECONDS, (now // DAY_SECONDS) * DAY_SECONDS)
    events = store.query(
        user=None,
        notebook=None,
        since=utc_time(datetime.fromtimestamp(since, timezone.utc)),
        types=[EXCHANGE],
    )
    return [
        (event["user"], parse_time(event["time"]).timestamp(), exchange_tokens(event["data"]))
        for event in events
    ]


def _message(reason: str, scope: str, limit: int, used: int) -> str:
    if (reason, scope) == ("questions_per_hour", "student"):
        return f"You have asked {used} questions in the last hour; this course allows {limit}."
    if (reason, scope) == ("tokens_per_day", "student"):
        return (
            f"Your questions and the tutor's replies today came to {used} tokens; "
            f"this course allows {limit} per student per day (UTC)."
        )
    if reason == "questions_per_hour":
        return (
            f"The class has asked {used} questions in the last hour, "
            f"as many as this course allows ({limit})."
        )
    return (
        f"The class's questions and the tutor's replies today came to {used} tokens; "
        f"this course allows {limit} per day (UTC)."
    )


def _when(moment: float, now: float) -> str:
    """`at 14:32 UTC (in 12 minutes)`: the moment in words, for the student."""
    clock = datetime.fromtimestamp(math.ceil(moment), timezone.utc).strftime("%H:%M:%S UTC")
    seconds = max(1, math.ceil(moment - now))
    if seconds < 60:
        wait = f"{seconds} second{'s' * (seconds != 1)}"
    elif seconds < 3600:
        minutes = math.ceil(seconds / 60)
        wait = f"{minutes} minute{'s' * (minutes != 1)}"
    else:
        hours, minutes = divmod(math.ceil(seconds / 60), 60)
        wait = f"{hours} hour{'s' * (hours != 1)}"
        if minutes:
            wait += f" {minutes} minute{'s' * (minutes != 1)}"
    return f"at {clock} (in {wait})"
