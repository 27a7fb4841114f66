"""The server's record of one chat exchange: what was asked and what came back.

The proxy keeps it, not the browser, so a student cannot alter it. Its
`end()` gives the `data` of a `chat.exchange` event (see
`schemas/types.v1.json`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("finished", "stopped", "failed")


@dataclass
class Exchange:
    """A `/api/chat` request and its reply, as streamed."""

    model: str
    messages: list[Any]
    options: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    first_token: float | None = None
    reply: list[str] = field(default_factory=list)
    done: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def for_request(cls, body: dict[str, Any] | None) -> Exchange:
        body = body or {}
        return cls(
            model=str(body.get("model", "")),
            messages=list(body.get("messages") or []),
            options=dict(body.get("options") or {}),
        )

    def feed(self, item: dict[str, Any]) -> None:
        """Takes one chunk of Ollama's reply (or the whole unstreamed reply)."""
        if "error" in item:
            self.error = str(item["error"])
            return
        message = item.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and content:
            if self.first_token is None:
                self.first_token = time.monotonic()
            self.reply.append(content)
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

        return {
            "model": self.model,
            "messages": self.messages,
            "options": self.options,
            "reply": "".join(self.reply),
            "status": status,
            "error": (error or self.error) if status == "failed" else None,
            "ttft_ms": ms(self.first_token),
            "total_ms": ms(time.monotonic()),
            "prompt_eval_count": count("prompt_eval_count"),
            "eval_count": count("eval_count"),
            "done_reason": self.done.get("done_reason"),
        }
