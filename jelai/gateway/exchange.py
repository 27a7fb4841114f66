"""The server's record of one chat exchange: what was asked and what came back.

The proxy keeps it, not the browser, so a student cannot alter it. Its
`end()` gives the `data` of a `chat.exchange` event (see
`schemas/types.v1.json`): `reply` is the answer the student was shown and
`reasoning` the model's reasoning, kept for staff (Ollama's
`message.thinking` of thinking models, and `<think>` blocks written inline).
Its counts are those of the model's last line as the student got it
(`instructor_share.public_counts`, when the prompt held a hidden layer).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .completed_chat import CompletedChat

STATUSES = ("finished", "stopped", "failed")
# Inline reasoning blocks as open models write them (DeepSeek-R1, Qwen3, QwQ...).
_TAGS = "think|thinking"
_OPEN = re.compile(rf"<(?:{_TAGS})\s*>", re.IGNORECASE)
_CLOSE = re.compile(rf"</(?:{_TAGS})\s*>", re.IGNORECASE)
_LEADING_OPEN = re.compile(rf"^\s*<({_TAGS})\s*>", re.IGNORECASE)
# The starts of the tags, for a tag cut between two pieces of a stream.
_TAG_STARTS = ("<think", "<thinking", "</think", "</thinking")


def split_reasoning(content: str) -> tuple[str, str]:
    """`(answer, reasoning)` of a reply's content.

    The `<think>...</think>` (or `<thinking>`) blocks at the start of the
    content are reasoning, and so is everything before a closing tag that
    nothing opened (chat templates that open the block themselves); a block
    never closed is reasoning to the end. The browser applies the same rule
    (`src/tutor/reasoning.ts`) to what the student sees.
    """
    reasoning: list[str] = []
    rest = content
    close = _CLOSE.search(rest)
    if close and not _OPEN.search(rest[: close.start()]):
        reasoning.append(rest[: close.start()])
        rest = rest[close.end() :]
    while opened := _LEADING_OPEN.match(rest):
        body = rest[opened.end() :]
        end = re.search(rf"</{opened.group(1)}\s*>", body, re.IGNORECASE)
        if end is None:
            reasoning.append(body)
            rest = ""
            break
        reasoning.append(body[: end.start()])
        rest = body[end.end() :]
    answer = rest.lstrip() if reasoning else rest
    return answer, "\n\n".join(r.strip() for r in reasoning if r.strip())


class AnswerStream:
    """A reply's content as it streams, without its inline reasoning: what
    `split_reasoning` gives as the answer, passed on as it comes.

    The `<think>` blocks at the start of the content never leave (a block
    never closed is reasoning to the end); what may still become a tag
    (`<thi` at the end of a piece) waits for the next piece. A block the
    chat template opened shows only its closing tag: what came before it in
    earlier pieces has gone out by then (the browser hides it once the tag
    comes, `src/tutor/reasoning.ts`); the rest of it, the tag, and blank
    lines after it do not, and the answer after it starts afresh.
    """

    def __init__(self) -> None:
        self._state = "start"  # start (a block may open), block, answer
        self._tag = ""  # the block's tag name
        self._blocks = False  # a block (or a closing tag) was seen
        self._watch = True  # in the answer: a closing tag may still end reasoning
        self._pending = ""

    def feed(self, text: str) -> str:
        """Takes the next piece of the content; returns the answer to pass on now."""
        self._pending += text
        return self._run(final=False)

    def finish(self) -> str:
        """The content is over: returns the rest of the answer."""
        return self._run(final=True)

    def _run(self, final: bool) -> str:
        out: list[str] = []
        while True:
            text = self._pending
            if self._state == "start":
                start = text.lstrip()
                opened = _LEADING_OPEN.match(text)
                if opened:
                    self._state, self._tag = "block", opened.group(1)
                    self._pending = text[opened.end() :]
                    continue
                if not final and (not start or _partial_tag(start, _TAG_STARTS[:2])):
                    break  # wait: a block may still open
                self._state, self._watch = "answer", not self._blocks
                self._pending = start if self._blocks else text
                continue
            if self._state == "block":
                end = re.search(rf"</{self._tag}\s*>", text, re.IGNORECASE)
                if end:
                    self._state, self._blocks = "start", True
                    self._pending = text[end.end() :]
                    continue
                # Reasoning: keep only what may start the closing tag.
                at = text.rfind("<")
                tail = text[at:] if at >= 0 and not final else ""
                self._pending = tail if _partial_tag(tail, (f"</{self._tag.lower()}",)) else ""
                break
            if self._watch:
                opened, close = _OPEN.search(text), _CLOSE.search(text)
                if close and not (opened and opened.start() < close.start()):
                    # A closing tag nothing opened: what came before was reasoning
                    # (what of it is still here stays here).
                    self._state, self._blocks = "start", True
                    self._pending = text[close.end() :]
                    continue
                if opened:
                    self._watch = False
                else:
                    at = text.rfind("<")
                    if at >= 0 and not final and _partial_tag(text[at:]):
                        out.append(text[:at])
                        self._pending = text[at:]
                        break
            out.append(text)
            self._pending = ""
            break
        return "".join(out)


def _partial_tag(text: str, tags: tuple[str, ...] = _TAG_STARTS) -> bool:
    """Whether `text` may still become one of the reasoning `tags` (their starts)."""
    lower = text.lower()
    return bool(text) and any(
        tag.startswith(lower) or (lower.startswith(tag) and not lower[len(tag) :].strip())
        for tag in tags
    )


@dataclass
class Exchange:
    """A `/api/chat` request and its reply, as streamed."""

    model: str
    messages: list[Any]
    options: dict[str, Any]
    # What the gateway's system prompt was made of (`CompletedChat.summary`).
    prompt: dict[str, Any] | None = None
    started: float = field(default_factory=time.monotonic)
    first_token: float | None = None
    reply: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    done: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def for_prompt(cls, prompt: CompletedChat) -> Exchange:
        """The record of a completed chat: the page's messages, never the
        instructions the gateway added (the student reads their own record)."""
        body = prompt.body
        return cls(
            model=str(body.get("model", "")),
            messages=list(prompt.messages),
            options=dict(body.get("options") or {}),
            prompt=prompt.summary(),
        )

    def feed(self, item: dict[str, Any]) -> None:
        """Takes one chunk of Ollama's reply (or the whole unstreamed reply)."""
        if "error" in item:
            self.error = str(item["error"])
            return
        message = item.get("message")
        if not isinstance(message, dict):
            message = {}
        content, thinking = message.get("content"), message.get("thinking")
        for text, parts in ((content, self.reply), (thinking, self.thinking)):
            if isinstance(text, str) and text:
                if self.first_token is None:
                    self.first_token = time.monotonic()
                parts.append(text)
        if item.get("done"):
            self.done = item

    def end(self, status: str, error: str | None) -> dict[str, Any]:
        """The exchange's event data once the reply is over."""
        assert status in STATUSES

        def ms(moment: float | None) -> int | None:
            return None if moment is None else round((moment - self.started) * 1000)

        def count(name: str) -> int | None:
            value = self.done.get(name)
            return value if isinstance(value, int) else None

        answer, inline = split_reasoning("".join(self.reply))
        reasoning = "\n\n".join(r for r in ("".join(self.thinking).strip(), inline) if r)
        return {
            "model": self.model,
            "messages": self.messages,
            "options": self.options,
            **({"prompt": self.prompt} if self.prompt is not None else {}),
            "reply": answer,
            "reasoning": reasoning or None,
            "status": status,
            "error": (error or self.error) if status == "failed" else None,
            "ttft_ms": ms(self.first_token),
            "total_ms": ms(time.monotonic()),
            "prompt_eval_count": count("prompt_eval_count"),
            "eval_count": count("eval_count"),
            "done_reason": self.done.get("done_reason"),
        }
