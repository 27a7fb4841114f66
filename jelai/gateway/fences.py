"""Fenced code blocks of a text that arrives in pieces, trimmed as it comes.

`CodeFences` reads a model's reply chunk by chunk (any split: a fence cut
between two chunks, a line cut anywhere) and says what may be passed on
now. In a code block longer than the limit it keeps the first lines and a
note; the rest never leaves. Its result, once the text is over, is the one
the browser's earlier check gave for the whole text: fenced blocks (three or
more backticks or tildes after at most three spaces, closed by a line of at
least as many of the same character) longer than `limit` non-blank lines
keep their first lines (trailing blank lines dropped), are closed and are
followed by a note saying how many lines were left out; with a limit of 0
the block is replaced by the note.

Latency: text outside blocks passes at once, except the start of a line
that could still become a fence (up to three spaces and two fence
characters). In a block the opening line waits for the first line of code,
blank lines wait for the next line of code, and the start of a line made of
fence characters waits for the end of its line; everything else passes as
it comes. With `hold`, a whole block waits until it ends, so that its code
can be judged (`on_code`) before any of it is passed on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

FENCE_CHARS = "`~"


def trim_note(removed: int) -> str:
    """The note after a cut block; the browser shows it in the student's language."""
    lines = "1 more line" if removed == 1 else f"{removed} more lines"
    return (
        f"*({lines} of code left out: the tutor shows short snippets, "
        "so you can write the rest yourself.)*"
    )


def _opening(line: str, complete: bool) -> tuple[str, str] | bool | None:
    """`(indent, fence)` if `line` opens a block, False if it cannot, None while
    it may still (more characters are needed)."""
    body = line[:-1] if complete and line.endswith("\n") else line
    spaces = len(body) - len(body.lstrip(" "))
    if spaces > 3:
        return False
    rest = body[spaces:]
    if not rest:
        return None if not complete else False
    char = rest[0]
    if char not in FENCE_CHARS:
        return False
    run = len(rest) - len(rest.lstrip(char))
    if run == len(rest) and not complete:
        return None  # the run may grow: ``` or ````
    if run < 3:
        return False
    return body[:spaces], char * run


@dataclass
class _Block:
    """The code block being read."""

    indent: str
    fence: str
    opening: str = ""  # its opening line, until passed on
    opened: bool = False  # the opening line was passed on
    count: int = 0  # non-blank lines so far
    blanks: str = ""  # blank lines waiting for the next line of code
    cut: bool = False
    code: list[str] = field(default_factory=list)  # complete lines, as written
    judged: int = 0  # lines of code when `on_code` was last called
    held: list[str] = field(default_factory=list)  # with `hold`: what goes out at its end


class CodeFences:
    """Trims the fenced code blocks of one text fed in pieces (`feed`, then `finish`).

    `on_code(code, final)` is called with a block's code as written so far
    (complete lines; `final` when the block ended, and along the way as it
    grows) when `hold` is set; True means the reply must stop: nothing more
    is passed on (`blocked`).
    """

    def __init__(
        self,
        limit: int,
        *,
        hold: bool = False,
        on_code: Callable[[str, bool], bool] | None = None,
    ) -> None:
        self.limit = max(0, limit)
        self.hold = hold
        self.blocked = False
        self.blocks_trimmed = 0
        self.lines_removed = 0
        self.longest_block = 0  # non-blank lines of the longest block, before trimming
        self._on_code = on_code
        self._out: list[str] = []
        self._line = ""  # the start of the current line, while its kind is undecided
        self._fate: str | None = None  # the rest of the line: emit, drop, open or done
        self._raw = ""  # the current line as written, once decided
        self._body = False  # the current line is a line of a block's code
        self._block: _Block | None = None

    def feed(self, text: str) -> str:
        """Takes the next piece of the text; returns what may be passed on now."""
        i, n = 0, len(text)
        while i < n and not self.blocked:
            if self._fate is None:
                # A line's kind is decided by its first few characters.
                char = text[i]
                i += 1
                self._line += char
                self._decide(complete=char == "\n")
                if char == "\n":
                    self._end_line()
                continue
            j = text.find("\n", i)
            end = n if j < 0 else j + 1
            self._pass(text[i:end])
            i = end
            if j >= 0:
                self._end_line()
        return self._take()

    def finish(self) -> str:
        """The text is over: returns what is still to be passed on."""
        if self.blocked:
            return ""
        if self._fate is None and self._line:
            self._decide(complete=True)
        if self._fate is not None:
            self._end_line()
        block = self._block
        if block is not None and not self.blocked:
            # A block never closed runs to the end of the text.
            if block.cut:
                self._emit(trim_note(block.count - self.limit))
            else:
                self._open(block)
                self._emit(block.blanks)
            self._close()
        return self._take()

    def _take(self) -> str:
        out = "".join(self._out)
        self._out = []
        return out

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._block is not None and self.hold:
            self._block.held.append(text)
        else:
            self._out.append(text)

    def _pass(self, text: str) -> None:
        """The rest of a decided line."""
        self._raw += text
        if self._fate == "emit":
            self._emit(text)
        elif self._fate == "open" and self._block is not None:
            self._block.opening += text

    def _decide(self, complete: bool) -> None:
        """Decides the current line's kind when its start allows; else waits."""
        line = self._line
        block = self._block
        if block is None:
            opening = _opening(line, complete)
            if opening is None:
                return
            if opening is False:
                self._route("emit")
            else:
                indent, fence = opening  # type: ignore[misc]
                self._block = _Block(indent, fence)
                self._route("open")
            return
        stripped = line.strip()
        only_fence = bool(stripped) and stripped == block.fence[0] * len(stripped)
        if not complete and (not stripped or only_fence):
            return  # a blank line, a closing fence or code: not known yet
        if not stripped:  # a blank line
            block.code.append(line)
            if not block.cut:
                block.blanks += line
            self._line, self._fate, self._body = "", "done", True
        elif only_fence and len(stripped) >= len(block.fence):  # the closing fence
            if block.cut:
                self._emit(trim_note(block.count - self.limit) + ("\n" if line[-1] == "\n" else ""))
            else:
                self._open(block)
                self._emit(block.blanks + line)
            self._line, self._fate = "", "done"
            self._close()
        else:  # a line of code
            block.count += 1
            self.longest_block = max(self.longest_block, block.count)
            self._body = True
            if block.cut:
                self.lines_removed += 1
                self._route("drop")
            elif block.count <= self.limit:
                self._open(block)
                self._emit(block.blanks)
                block.blanks = ""
                self._route("emit")
            else:
                block.cut = True
                block.blanks = ""
                self.blocks_trimmed += 1
                self.lines_removed += 1
                if block.opened:
                    self._emit(block.indent + block.fence + "\n")
                self._route("drop")

    def _route(self, fate: str) -> None:
        line, self._line = self._line, ""
        self._fate = fate
        self._pass(line)

    def _open(self, block: _Block) -> None:
        if not block.opened:
            block.opened = True
            self._emit(block.opening)

    def _end_line(self) -> None:
        block = self._block
        if self._fate in ("emit", "drop") and self._body and block is not None:
            block.code.append(self._raw)
            # While the block is held, judging it early only stops the model
            # sooner: every 8 lines, then every half again as many lines, so a
            # long block is read a few times rather than once per line.
            lines = len(block.code)
            if lines - block.judged >= max(8, block.judged // 2):
                block.judged = lines
                self._judge(block, final=False)
        self._line, self._raw, self._fate, self._body = "", "", None, False

    def _judge(self, block: _Block, final: bool) -> None:
        if self._on_code is not None and self._on_code("".join(block.code), final):
            self.blocked = True
            block.held.clear()
            if block.cut:  # nothing of it went out: it was withheld, not trimmed
                self.blocks_trimmed -= 1
                self.lines_removed -= block.count - self.limit

    def _close(self) -> None:
        block = self._block
        assert block is not None
        self._judge(block, final=True)
        self._block = None
        if self.hold and not self.blocked:
            self._out.extend(block.held)
