"""A reply's text read as code while it streams, for the similarity rule.

The guard judges everything the student would be shown, whatever its
markup (`similarity.reply_code`), in two readings (as written, and
unwrapped of comments, strings and tables: `unwrap.py`), before each piece
of it leaves. Read from the start each time, that costs the square of the
reply's length: seconds of the gateway's time for a long free-help reply.
`GrowingText` reads each line once it is complete and the unfinished line
again with each piece, so a reply costs about its length.

The text is read line by line: the markup of a line (`reply_code`) and its
unwrapping do not depend on the lines around it, so the reading is the same
whatever pieces the text came in (`read_text` reads a whole text the same
way, in one go).
"""

from __future__ import annotations

from collections import Counter

from .similarity import SHINGLE, Lexer, Shingle, reply_code, shingles
from .unwrap import unwrapped


def _written(lines: str) -> str:
    return "".join(reply_code(line) for line in lines.splitlines(keepends=True))


def _unwrapped(lines: str) -> str:
    return unwrapped(_written(lines))


READINGS = (_written, _unwrapped)


class _Reading:
    """One reading of the growing text: the code of its complete lines, its
    lexer, and the shingles that can no longer change."""

    def __init__(self, transform: object, size: int) -> None:
        self.transform = transform
        self.size = size
        self.code = ""  # the complete lines, transformed
        self.lexer = Lexer()
        self.final: Counter[Shingle] = Counter()  # shingles of final tokens
        self.counted = 0  # shingles starting before this token are in `final`
        self.tail: Counter[Shingle] = Counter()  # the other shingles, as last read

    def read(self, lines: str, rest: str) -> None:
        """Takes more complete `lines` and the unfinished `rest`."""
        transform = self.transform
        assert callable(transform)
        self.code += transform(lines)
        tokens, final = self.lexer.read(self.code + transform(rest), len(self.code))
        size, start = self.size, self.counted
        if final - size + 1 > start:
            self.final.update(shingles(tokens[start:final], size))
            start = self.counted = final - size + 1
        self.tail = shingles(tokens[start:], size)

    def get(self, shingle: Shingle) -> int:
        return self.final.get(shingle, 0) + self.tail.get(shingle, 0)


class GrowingText:
    """The shingles of a text that only grows, as `read_text` counts them."""

    def __init__(self, size: int = SHINGLE) -> None:
        self._readings = [_Reading(transform, size) for transform in READINGS]
        self._done = 0  # characters of the text read as complete lines

    def read(self, text: str) -> GrowingText:
        """Reads `text`, which begins with the text read before; returns itself,
        whose `get` then counts a shingle as `read_text(text)` would."""
        end = text.rfind("\n") + 1
        lines = text[self._done : end] if end > self._done else ""
        self._done = max(self._done, end)
        rest = text[self._done :]
        for reading in self._readings:
            reading.read(lines, rest)
        return self

    def get(self, shingle: Shingle, default: int = 0) -> int:
        """How often the text has `shingle`, in the reading with more of it."""
        return max(reading.get(shingle) for reading in self._readings) or default

    def counts(self) -> Counter[Shingle]:
        """Every shingle of the text read so far, with how often (`get`)."""
        found: Counter[Shingle] = Counter()
        for reading in self._readings:
            found |= reading.final + reading.tail
        return found


def read_text(text: str, size: int = SHINGLE) -> Counter[Shingle]:
    """The shingles of a whole text, read as `GrowingText` reads it."""
    found: Counter[Shingle] = Counter()
    for transform in READINGS:
        found |= shingles(Lexer().read(transform(text))[0], size)
    return found
