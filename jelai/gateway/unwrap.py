"""Code a reply carries inside comments, strings or tables, unwrapped for the
similarity rule (`similarity.py`).

The rule reads a reply as Python, which drops comments and statements made
of strings only, and reads every string as one token. A model asked to can
hand out the whole solution in exactly those: every line behind `# `, the
solution inside a triple-quoted string, a list of strings (one line of code
each), a table with one line of code per row. `unwrapped` gives the text a
second reading, line by line:

- comment and quote markers at the start of a line are taken off (`#`,
  `//`, `--`, `/*`, `*/`, a `*` continuing a block comment, Markdown's `>`),
  and so are list bullets (`-`, `*`, `+`, `1.`) and a `*/` at its end;
- triple quotes are taken out (the code inside a docstring stays);
- a line made of string literals (`"def f(x):",`, `'    return x']`,
  `steps = ["a", "b"]`, joined by commas or `+`) becomes the strings' text,
  their escapes read (`\\n` makes a line end), unless it is a plain
  assignment of one line of text (`name = "Ada"`); a line that only opens
  or closes a list (`steps = [`, `]`) is dropped;
- a table row (`| 3 | def f(x): |`) becomes its cells, one a line, without
  the cells that are only a number; a separator row (`|---|---|`) is dropped.

Prose keeps its words: it reads as names and a few keywords either way.
The guard counts a shingle when either reading has it (`similarity.py`),
so code written plainly loses nothing by the second reading. What it does
not undo is in docs/guardrails.md (encodings, other languages...).
"""

from __future__ import annotations

import ast
import re

_MARKER = re.compile(
    r"""^[ \t]*(?:
        \#+ | //+ | --+ | /\*+ | \*+/ | >+      # comment and quote markers
      | [-*+](?=[ \t]|$) | \d{1,3}[.)](?=[ \t])  # list bullets
    )[ \t]?""",
    re.VERBOSE,
)
_CLOSING_COMMENT = re.compile(r"[ \t]*\*+/[ \t]*$")
_TRIPLE = re.compile(r"""[rRbBuUfF]{0,2}(?:\"\"\"|''')""")
_STRING = r"""(?:[rRbBuUfF]{0,2})(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
# `name = [`, `[`, `(`: what opens a list of strings; `]`, `)`, `,`, `+`, `\`: what closes or joins.
_NAME = r"""[A-Za-z_][\w.]*[ \t]*=[ \t]*"""
_CLOSER = r"""[\]\)\}]*[ \t]*[,;+\\]?"""
_STRINGS = re.compile(
    rf"""^[ \t]*(?P<name>{_NAME})?(?P<open>[\[\(\{{]*)[ \t]*
    (?P<strings>(?:{_STRING}[ \t]*(?:[,+][ \t]*)?)+){_CLOSER}[ \t]*$""",
    re.VERBOSE,
)
_ONE_STRING = re.compile(_STRING)
_OPENS_ONLY = re.compile(rf"""^[ \t]*(?:{_NAME})?[\[\(\{{]+[ \t]*$""")
_CLOSES_ONLY = re.compile(r"""^[ \t]*[\]\)\}]+[ \t]*[,;]?[ \t]*$""")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*(?::?-+:?)?[ \t]*$")
_NUMBER = re.compile(r"^[ \t]*[\d.,:#-]*[ \t]*$")


def unwrapped(text: str) -> str:
    """The text with code taken out of comments, strings and tables, line by line."""
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_unwrap(line))
    return "\n".join(out)


def _unwrap(line: str) -> list[str]:
    if _TABLE_SEPARATOR.match(line) and "-" in line:
        return []
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        cells = re.split(r"(?<!\\)\|", stripped[1:-1])
        return [
            found
            for cell in cells
            if not _NUMBER.match(cell)
            for found in _unwrap(cell.replace("\\|", "|"))
        ]
    line = _TRIPLE.sub("", _strip_markers(line))
    strings = _STRINGS.match(line)
    if strings:
        text = "\n".join(_read_string(s) for s in _ONE_STRING.findall(strings["strings"]))
        # `name = "text"` is code; in a list, or holding lines, it carries some.
        if not strings["name"] or strings["open"] or "\n" in text:
            return text.split("\n")
    if _OPENS_ONLY.match(line) or _CLOSES_ONLY.match(line):
        return []
    return [line]


def _strip_markers(line: str) -> str:
    """The line without the comment, quote and bullet markers at its start."""
    while True:
        shorter = _MARKER.sub("", line, count=1)
        if shorter == line:
            break
        line = shorter
    return _CLOSING_COMMENT.sub("", line)


def _read_string(literal: str) -> str:
    """A string literal's text, its escapes read; its bare inside if that fails."""
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    body = literal.lstrip("rRbBuUfF")
    return body[1:-1]
