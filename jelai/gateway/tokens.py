"""Token estimates the gateway and the browser share: the same pessimistic
rule as `estimateTokens` in src/context/budget.ts, so both sides count a
prompt alike. Counts are tokens; nothing here knows a tokenizer."""

from __future__ import annotations

from typing import Any

# Tokens a chat template adds around each message (role markers); as in src/context/budget.ts.
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_tokens(text: str) -> int:
    """A deliberately pessimistic token estimate, the browser's own
    (`estimateTokens` in src/context/budget.ts), so both sides count alike."""
    total = 0
    for char in text:
        total += _weight(ord(char))
    return -(-total // 12)


def estimate_messages(messages: list[dict[str, Any]]) -> int:
    """Estimated tokens of chat messages, template overhead included."""
    return sum(
        estimate_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD_TOKENS for m in messages
    )


def _weight(code: int) -> int:
    """The weight of a character in twelfths of a token (see budget.ts)."""
    if code < 0x80:
        if 97 <= code <= 122 or 65 <= code <= 90 or code == 32:
            return 4
        if 48 <= code <= 57 or code in (9, 10):
            return 6
        return 12 if code < 32 else 9
    if code < 0x370:
        return 6
    if code < 0x800:
        return 8
    if code > 0xFFFF:
        return 24  # outside the Basic Multilingual Plane: a surrogate pair in UTF-16
    if 0xD800 <= code <= 0xDFFF:
        return 12  # a lone surrogate
    return 12
