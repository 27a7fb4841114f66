"""The tutor's guardrails, enforced on the model's reply before the student gets it.

A `ReplyGuard` sits between the model server's NDJSON lines and the browser
(`proxy.ProxyCall`):

- in tutor mode, code blocks longer than the snippet limit are cut
  (`fences.py`): the student gets the first lines and a note, never the rest;
- in every mode, given reference solutions, a reply whose code reproduces a
  substantial part of one (`similarity.py`) is stopped: the model server is
  told to stop, the student gets a note in place of the code, and the code
  never leaves. Free help (assistant mode) is free of the snippet limit, not
  of the assignments' solutions;
- in tutor mode, and whenever the prompt holds the instructor-only layer,
  none of a thinking model's reasoning leaves: Ollama's `message.thinking`
  is dropped and the `<think>` blocks of the content are held back
  (`exchange.AnswerStream`); a thinking model often restates its
  instructions there, hidden ones included. Elsewhere the reasoning (which
  the browser receives though it does not show it) is guarded like the
  answer;
- what it did is recorded (`records`): `tutor.reply_trimmed` and
  `tutor.leak_blocked` events beside the `chat.exchange`, whose `reply` is
  what the student was shown and whose staff-only `model_reply`,
  `reasoning` and `model_reasoning` keep what the model wrote (see
  `record/staff.py`).

The rules are the mode and the snippet limit of the chat's merged
pedagogy (`prompt.merge_pedagogy`: the course's `c.JelaiTutor.mode` and
`c.JelaiTutor.max_code_lines`, then the instructor-only layer, then the
assignment's `TUTOR.md` and the notebook's metadata, which can only
tighten), the same the model is told; the reference solution is the
course folder's (`assignments.py`: the gateway holds each reply to every
assignment's, whatever notebook it is about). In assistant mode without a
reference or a hidden layer nothing is guarded. docs/guardrails.md says it
for instructors.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .exchange import AnswerStream, split_reasoning
from .fences import CodeFences
from .instructor_share import has_hidden_layer
from .reading import GrowingText
from .similarity import Containment, LeakCheck, Shingle

if TYPE_CHECKING:
    from .prompt import Pedagogy

STREAMS = ("content", "thinking")
LEAK_NOTE = (
    "*(The tutor stopped this reply: its code came too close to the assignment's "
    "solution. Try the next step yourself, and ask for a hint if you are stuck.)*"
)


@dataclass(frozen=True)
class ReplyRules:
    """The rules one reply is held to."""

    mode: str  # tutor or assistant
    max_code_lines: int
    hidden: bool = False  # the prompt holds the instructor-only layer

    @property
    def withholds_reasoning(self) -> bool:
        """Whether none of the model's reasoning reaches the student: a thinking
        model restates its instructions there, the hidden layer's too."""
        return self.mode == "tutor" or self.hidden

    @property
    def snippet_limit(self) -> int:
        """The longest code block a reply keeps: in assistant mode, any."""
        return self.max_code_lines if self.mode == "tutor" else sys.maxsize

    @classmethod
    def of(cls, pedagogy: Pedagogy) -> ReplyRules:
        """The rules of a chat's merged pedagogy (see `prompt.merge_pedagogy`)."""
        return cls(pedagogy.mode, pedagogy.max_code_lines, has_hidden_layer(pedagogy))


def student_material(messages: Any) -> list[str]:
    """The text of the student's own messages (their questions and the context of
    their notebook): code in it is theirs, and no leak when a reply repeats it.
    Earlier replies are not theirs: code a reply repeats from one counts against it."""
    if not isinstance(messages, list):
        return []
    return [
        m["content"]
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)
    ]


class ReplyGuard:
    """Guards one chat reply: `relay` each NDJSON line, or `whole` for an unstreamed one."""

    def __init__(
        self,
        rules: ReplyRules,
        reference: str | Sequence[str] | None = None,
        known: Iterable[str] = (),
    ) -> None:
        self.rules = rules
        leak = LeakCheck(reference, known) if reference else None
        self._leak = leak if leak is not None and leak.applies else None
        self._code: Counter[Shingle] = Counter()  # shingles of the blocks ended so far
        self.leak: Containment | None = None  # set when the reply was stopped
        self.stopped = False
        hold = self._leak is not None
        self._streams = {
            name: CodeFences(rules.snippet_limit, hold=hold, on_code=self._judge if hold else None)
            for name in STREAMS
        }
        self._shown: dict[str, list[str]] = {name: [] for name in STREAMS}
        # The content without its inline reasoning, when no reasoning may pass.
        self._answer = AnswerStream() if rules.withholds_reasoning else None
        # What the student was shown of each stream, read as code as it grows.
        self._read = {name: GrowingText(leak.rule.shingle if leak else 0) for name in STREAMS}
        self._raw: dict[str, list[str]] = {name: [] for name in STREAMS}

    @classmethod
    def for_prompt(
        cls,
        pedagogy: Pedagogy,
        payload: Any,
        reference: str | Sequence[str] | None = None,
    ) -> ReplyGuard | None:
        """The guard of a chat request, or None when nothing is guarded
        (assistant mode without a reference solution or a hidden layer).
        `payload` is the request as the page sent it: its messages are the
        student's own material."""
        rules = ReplyRules.of(pedagogy)
        messages = payload.get("messages") if isinstance(payload, dict) else None
        guard = cls(rules, reference, student_material(messages))
        return guard if guard.guards else None

    @property
    def guards(self) -> bool:
        """Whether the guard can change anything: reasoning withheld (tutor
        mode, whose snippet limit goes with it, or a hidden layer), or a
        reference solution large enough for the leak check."""
        return self.rules.withholds_reasoning or self._leak is not None

    @property
    def changed(self) -> bool:
        """Whether the student was shown something else than the model wrote."""
        return self.stopped or any(s.blocks_trimmed for s in self._streams.values())

    def relay(self, line: bytes) -> list[bytes]:
        """The lines to send the browser for one line of the model server's reply."""
        if self.stopped:
            return []
        try:
            item = json.loads(line)
        except ValueError:
            return []  # what cannot be read cannot be checked
        if not isinstance(item, dict):
            return []
        if "error" in item:
            return [line.rstrip(b"\n") + b"\n"]
        message = item.get("message")
        message = dict(message) if isinstance(message, dict) else {}
        original = dict(message)
        done = bool(item.get("done"))
        withheld = self._withhold(message, done)
        passed: dict[str, str] = {}
        for name in STREAMS:
            text = message.get(name)
            shown = self._feed(name, text if isinstance(text, str) else "", done)
            if self.stopped:
                passed[name] = shown
                return [self._stop_line(item, passed)]
            if name in message or shown:
                message[name] = passed[name] = shown
        if message == original:
            return [line.rstrip(b"\n") + b"\n"]
        if (
            not done
            and set(message) <= {"role", *STREAMS}
            and not any(message.get(name) for name in STREAMS)
        ):
            if withheld:  # an empty line keeps the stream alive while the model reasons
                return [_dumps({**item, "message": {**message, "content": ""}})]
            return []  # all of it held back for now
        return [_dumps({**item, "message": message})]

    def _withhold(self, message: dict[str, Any], done: bool) -> bool:
        """Takes the reasoning out of a line's message when none may pass:
        `thinking`, and the inline blocks of its content. Whether it had any."""
        answer = self._answer
        if answer is None:
            return False
        thinking = message.pop("thinking", None)
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        shown = answer.feed(text) + (answer.finish() if done else "")
        if isinstance(content, str) or shown:
            message["content"] = shown
        return bool(thinking) or len(shown) < len(text)

    def whole(self, body: bytes) -> bytes:
        """An unstreamed reply (one JSON object), guarded."""
        lines = self.relay(body.strip() + b"\n") if body.strip() else []
        return lines[0].rstrip(b"\n") if lines else body

    def records(self, exchange: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The events of the exchange: `chat.exchange` (showing what the student
        saw, the model's own words kept for staff) and what the guard did."""
        data = dict(exchange)
        if self.changed:
            answer, inline = split_reasoning("".join(self._shown["content"]))
            data["model_reply"] = data.get("reply")
            data["reply"] = answer
            if self._answer is None:  # the reasoning was relayed, guarded
                thinking = "".join(self._shown["thinking"]).strip()
                reasoning = "\n\n".join(r for r in (thinking, inline) if r)
                data["model_reasoning"] = data.get("reasoning")
                data["reasoning"] = reasoning or None
        out: list[tuple[str, dict[str, Any]]] = [("chat.exchange", data)]
        streams = self._streams.values()
        trimmed = sum(s.blocks_trimmed for s in streams)
        if trimmed:
            out.append(
                (
                    "tutor.reply_trimmed",
                    {
                        "max_code_lines": self.rules.max_code_lines,
                        "blocks_trimmed": trimmed,
                        "lines_removed": sum(s.lines_removed for s in streams),
                        "longest_block": max(s.longest_block for s in streams),
                    },
                )
            )
        if self.leak is not None and self._leak is not None:
            rule = self._leak.rule
            out.append(
                (
                    "tutor.leak_blocked",
                    {
                        "region": self.leak.region,
                        "reproduced": self.leak.reproduced,
                        "reference_shingles": self.leak.size,
                        "share": round(self.leak.share, 3),
                        "threshold": rule.threshold,
                        "shingle": rule.shingle,
                    },
                )
            )
        return out

    def _feed(self, name: str, text: str, done: bool) -> str:
        stream = self._streams[name]
        self._raw[name].append(text)
        shown = stream.feed(text)
        if done and not stream.blocked:
            shown += stream.finish()
        if shown and self._leak is not None and self._judge_text(name, shown):
            return ""  # none of it leaves
        self._shown[name].append(shown)
        return shown

    def _judge_text(self, name: str, shown: str) -> bool:
        """Whether all the student would have been shown, read as code whatever
        its markup (`reading.py`), gives the solution away."""
        leak = self._leak
        assert leak is not None
        text = "".join(self._shown[name]) + shown
        result = leak.check(self._read[name].read(text))
        if leak.leaks(result):
            self.leak = result
            self.stopped = True
            return True
        return False

    def _judge(self, code: str, final: bool) -> bool:
        """Whether the code so far (the blocks ended and `code`) gives the solution away."""
        leak = self._leak
        assert leak is not None
        block = leak.shingles(code)
        result = leak.check(self._code + block)
        if leak.leaks(result):
            self.leak = result
            self.stopped = True
            return True
        if final:
            self._code.update(block)
        return False

    def _stop_line(self, item: dict[str, Any], passed: dict[str, str]) -> bytes:
        """The last line the student gets when the reply is stopped: what of the
        line could pass before the stop, then the note, as Ollama's last line."""
        before = "".join(self._shown["content"])
        newlines = len(before) - len(before.rstrip("\n"))
        note = ("\n" * max(0, 2 - newlines) if before else "") + LEAK_NOTE
        self._shown["content"].append(note)
        message = {"role": "assistant", "content": passed.get("content", "") + note}
        if passed.get("thinking"):
            message["thinking"] = passed["thinking"]
        last = {
            "model": item.get("model", ""),
            "created_at": item.get("created_at")
            or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "message": message,
            "done": True,
            "done_reason": "stop",
        }
        return _dumps(last)


def _dumps(item: dict[str, Any]) -> bytes:
    return json.dumps(item, separators=(",", ":")).encode() + b"\n"
