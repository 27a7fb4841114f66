"""Request bodies as JSON, checked the way a browser's JSON.parse would read them.

Shared by the Jupyter server extension's handlers and the hub service's, so
both refuse the same bodies with the same messages. Nothing here knows about
tornado.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import JelaiError

# Deeper than any request jelai expects; far from Python's recursion limit, which
# validation and copying would otherwise reach (an unanswered 500).
MAX_JSON_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TOO_DEEP = f"Request body is not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep."


def parse_json_body(body: bytes, max_bytes: int) -> Any:
    """`body` parsed as JSON, or a JelaiError: 413 above `max_bytes`, else 400.

    Refused: bodies that are not UTF-8 or not JSON, NaN and infinite numbers,
    nesting deeper than MAX_JSON_DEPTH. Lone surrogates (valid JSON escapes,
    but not text) become U+FFFD so the rest is kept.
    """
    if len(body) > max_bytes:
        raise JelaiError(413, f"Request body is larger than {max_bytes} bytes.")
    try:
        text = body.decode("utf-8")
        value = json.loads(text)
    except RecursionError:
        raise JelaiError(400, _TOO_DEEP) from None
    except ValueError as err:  # not UTF-8, not JSON, or an integer of 4,300+ digits
        raise JelaiError(400, f"Request body is not valid JSON: {err}") from None
    _check_json(value)
    if _SURROGATE_ESCAPE.search(text):
        value = _without_lone_surrogates(value)
    return value


def _check_json(value: Any) -> None:
    """A 400 for what JSON.parse in a browser would not give back: NaN,
    Infinity (or 1e999), and nesting deeper than MAX_JSON_DEPTH."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise JelaiError(400, "Request body is not valid JSON: NaN or an infinite number.")
        if isinstance(item, (dict, list)):
            if depth == MAX_JSON_DEPTH:
                raise JelaiError(400, _TOO_DEEP)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _without_lone_surrogates(value: Any) -> Any:
    """`value` with each lone surrogate replaced by U+FFFD."""
    text = json.dumps(value, ensure_ascii=False)
    if not _LONE_SURROGATE.search(text):
        return value
    return json.loads(_LONE_SURROGATE.sub("\ufffd", text))
