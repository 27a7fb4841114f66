"""Reads server-sent events (the HTML standard's event stream format), as
OpenAI-compatible servers stream chat completions."""

from __future__ import annotations

import json
from typing import Any


def sse_data(body: bytes) -> list[str]:
    """The `data` of each event in a complete stream; comments and other fields are left out."""
    events: list[str] = []
    data: list[str] = []
    for line in body.decode("utf-8").splitlines():
        if not line:
            if data:
                events.append("\n".join(data))
            data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:  # a stream cut before its blank line still delivered this event
        events.append("\n".join(data))
    return events


def sse_chunks(body: bytes) -> tuple[list[dict[str, Any]], bool]:
    """The JSON chunks of a chat completion stream, and whether it ended with `[DONE]`."""
    events = sse_data(body)
    done = bool(events) and events[-1] == "[DONE]"
    return [json.loads(event) for event in events if event != "[DONE]"], done
