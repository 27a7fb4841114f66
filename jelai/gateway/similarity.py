"""The rule that tells a reply giving away the assignment's solution.

Code is compared after normalising it into tokens, so that renaming
variables, changing numbers or strings, reindenting, adding comments or
docstrings, or moving statements around changes little:

- a small lexer reads Python's tokens (names, numbers, strings with their
  prefixes and triple quotes, operators); comments are dropped, and so is a
  statement made of strings only (a docstring);
- keywords, built-in names (`len`, `range`, `print`...) and attribute
  names after a dot (`.append`, `.get`) stay as they are; every other name
  becomes `V`, every number `N`, every string `S`;
- the end of a statement becomes `;`; indentation is dropped.

The reference (the assignment's solution) and the reply's code are cut into
shingles, every run of `SHINGLE` consecutive tokens, counted with their
repeats (a chain of four `elif` branches is not matched by one). A reply
leaks when its code reproduces at least `THRESHOLD` of the reference's
shingles, and at least `MIN_SHINGLES` of them, not counting the shingles the
student already has in what they sent (their notebook's cells in the
context, their question, the conversation so far): quoting the student's own
code back is no leak. A reference of fewer than `MIN_SHINGLES` shingles (two
or three short lines) never triggers. Each solution region is its own
reference, so a reply that gives away one exercise of several is caught.
docs/guardrails.md gives examples and the measurements behind the numbers.

A reply's text outside fenced blocks is judged too (`reply_code`): a model
may write the solution as prose lines, indented code, `<pre>`/`<code>` HTML
or inline backticks split over lines. HTML tags are dropped (block tags
become line ends), entities unescaped and backticks removed; the rest is
read as Python like any code. Ordinary prose makes names and a few
keywords, which reproduce next to none of a reference's shingles.

The reply's code (and the student's own material) is read twice: as
written, and unwrapped (`unwrap.py`: comment markers, triple quotes, lists
of strings and table rows taken off, line by line), since the first
reading drops what a model can hide the solution in (every line behind
`# `, a docstring, a list of strings). A shingle counts when either reading
has it, as often as the reading with more of it has it.

Python's own `tokenize` is not used: it stops at the first error (a block
cut in the middle of a string or a bracket, which a stream always is, or
code in another language) and its tokens differ between Python versions.
"""

from __future__ import annotations

import builtins
import html
import keyword
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .unwrap import unwrapped

# Tokens per shingle: long enough that generic code (`for V in V : ;`) is a
# small share of a reference, short enough that moving statements around
# breaks few of them. Measured on docs/guardrails.md's cases.
SHINGLE = 8
# Share of the reference's shingles a reply must reproduce to be stopped.
THRESHOLD = 0.6
# A reference must have this many shingles, and a reply reproduce at least
# this many, for the rule to apply (about three lines of code).
MIN_SHINGLES = 16

Shingle = tuple[str, ...]


class Found(Protocol):
    """Shingles found in a reply, with how often: a Counter, or a reading
    that counts them as it goes (`reading.GrowingText`)."""

    def get(self, shingle: Shingle, default: int = 0, /) -> int: ...


_KEEP = frozenset(keyword.kwlist) | frozenset(
    name for name in dir(builtins) if not name.startswith("_")
)
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>(?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
        |'(?:\\.|[^'\\\n])*(?:'|$)|"(?:\\.|[^"\\\n])*(?:"|$)))
  | (?P<number>0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
  | (?P<name>[^\W\d]\w*)
  | (?P<newline>\\?\n)
  | (?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|:=|[-+*/%@&|^<>=!]=|\*\*|//|<<|>>|\S)
    """,
    re.VERBOSE | re.MULTILINE,
)
_OPEN, _CLOSE = "([{", ")]}"
_BLOCK_TAG = re.compile(r"</?(?:pre|br|p|div|li|ul|ol)\b[^>]*>", re.IGNORECASE)
_INLINE_TAG = re.compile(r"</?(?:code|tt|kbd|samp|span|b|i|em|strong)\b[^>]*>", re.IGNORECASE)


def reply_code(text: str) -> str:
    """A reply's text as code, whatever markup carries it: HTML tags dropped
    (block tags as line ends), entities unescaped, backticks removed."""
    text = _INLINE_TAG.sub("", _BLOCK_TAG.sub("\n", text))
    return html.unescape(text).replace("`", "")


@dataclass(frozen=True)
class LeakRule:
    """The rule's three numbers (see the module's docstring)."""

    shingle: int = SHINGLE
    threshold: float = THRESHOLD
    min_shingles: int = MIN_SHINGLES


def code_tokens(text: str) -> list[str]:
    """The normalised tokens of `text`, read as Python; never fails."""
    return Lexer().read(text)[0]


class Lexer:
    """Reads a text that only grows as code (`code_tokens`), again and again,
    each time from the last line end it can start from: reading a reply as it
    streams costs the length of its unfinished end, not of all of it.

    A line end outside strings is such a point: the tokens before it do not
    depend on what follows, except those of a statement still open (a bracket
    not closed yet), which is kept as it was read there.
    """

    def __init__(self) -> None:
        self._out: list[str] = []  # tokens of the ended statements
        self._final = 0  # how many of them precede `_pos`
        self._pos = 0  # where the next reading starts
        self._line: list[str] = []  # the statement open at `_pos` (only ever appended to)
        self._line_length = 0  # its length at `_pos`
        self._depth = 0
        self._previous = ""

    def read(self, text: str, fixed: int | None = None) -> tuple[list[str], int]:
        """The tokens of `text`, which begins with every text read before, and
        how many of them are final (the same whatever follows). The first
        `fixed` characters of `text` (all of it by default) never change in a
        later reading; the rest may."""
        fixed = len(text) if fixed is None else fixed
        out = self._out
        del out[self._final :]
        line = self._line[: self._line_length]
        depth, previous = self._depth, self._previous
        for match in _TOKEN.finditer(text, self._pos):
            kind, value = match.lastgroup, match.group()
            if kind == "comment":
                continue
            if kind == "newline":
                if depth == 0 and value == "\n":
                    _end_statement(line, out)
                    line = []
                if match.end() <= fixed:
                    self._pos, self._final = match.end(), len(out)
                    self._line, self._line_length = line, len(line)
                    self._depth, self._previous = depth, previous
                continue
            if kind == "string":
                token = "S"
            elif kind == "number":
                token = "N"
            elif kind == "name":
                token = value if value in _KEEP or previous == "." else "V"
            else:
                token = value
                if value in _OPEN:
                    depth += 1
                elif value in _CLOSE:
                    depth = max(depth - 1, 0)
                elif value == ";" and depth == 0:
                    _end_statement(line, out)
                    line = []
                    previous = value
                    continue
            line.append(token)
            previous = value if kind == "op" else kind or ""
        tokens = list(out)
        _end_statement(line, tokens)
        return tokens, self._final


def _end_statement(line: list[str], out: list[str]) -> None:
    if line and any(token != "S" for token in line):  # strings only: a docstring
        out.extend(line)
        out.append(";")


def shingles(tokens: Sequence[str], size: int = SHINGLE) -> Counter[Shingle]:
    """Every run of `size` consecutive tokens, with how often it occurs."""
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def read_shingles(text: str, size: int = SHINGLE) -> Counter[Shingle]:
    """The shingles of a reply's code in both readings: as written, and
    unwrapped of comments, strings and tables (`unwrap.py`)."""
    return shingles(code_tokens(text), size) | shingles(code_tokens(unwrapped(text)), size)


@dataclass(frozen=True)
class Containment:
    """How much of one reference region a reply's code reproduces."""

    region: int
    reproduced: int  # the region's shingles found in the reply, the student's own not counted
    size: int  # the region's shingles

    @property
    def share(self) -> float:
        return self.reproduced / self.size if self.size else 0.0


class LeakCheck:
    """The reference regions, the student's own shingles, and the rule."""

    def __init__(
        self,
        reference: str | Sequence[str],
        known: Iterable[str] = (),
        rule: LeakRule | None = None,
    ) -> None:
        self.rule = rule or LeakRule()
        regions = [reference] if isinstance(reference, str) else list(reference)
        size = self.rule.shingle
        self._known = {found for text in known for found in read_shingles(text, size)}
        self._regions = [shingles(code_tokens(region), size) for region in regions]

    @property
    def applies(self) -> bool:
        """Whether some region is large enough for the rule to apply."""
        return any(sum(region.values()) >= self.rule.min_shingles for region in self._regions)

    def shingles(self, code: str) -> Counter[Shingle]:
        """The shingles of a piece of the reply's code, as `check` counts them."""
        return read_shingles(code, self.rule.shingle)

    def check(self, found: Found) -> Containment | None:
        """The region the reply's code (its `found` shingles) gives away, else the
        one it reproduces the largest share of; None without regions. It looks up
        the regions' shingles only, so it costs the same for any length of reply."""
        known = self._known
        results = [
            Containment(
                index,
                sum(min(n, found.get(s, 0)) for s, n in region.items() if s not in known),
                sum(region.values()),
            )
            for index, region in enumerate(self._regions)
        ]
        leaking = [result for result in results if self.leaks(result)]
        return max(leaking or results, key=lambda result: result.share, default=None)

    def leaks(self, result: Containment | None) -> bool:
        """Whether a containment is over the rule's line."""
        if result is None or result.size < self.rule.min_shingles:
            return False
        needed = max(self.rule.min_shingles, math.ceil(self.rule.threshold * result.size))
        return result.reproduced >= needed
