"""A reply read as code while it streams counts what the whole text counts,
whatever pieces it came in."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jelai.gateway.reading import GrowingText, read_text
from jelai.gateway.similarity import Lexer, code_tokens

LEAKS = Path(__file__).parent / "fixtures" / "leaks"
CODE = (LEAKS / "stats" / "reference.txt").read_text(encoding="utf-8")
LINES = CODE.splitlines()
TEXTS = [
    CODE,
    "Here is the idea:\n```python\n" + CODE + "```\nWhat do you see?",
    "".join(f"# {line}\n" for line in LINES),
    '"""\n' + CODE + '\n"""\nThat is all.',
    "steps = " + json.dumps(LINES, indent=2),
    "steps = " + repr(LINES),
    "| step | code |\n|---|---|\n" + "".join(f"| {i} | `{s}` |\n" for i, s in enumerate(LINES)),
    "<pre><code>" + CODE.replace("<", "&lt;") + "</code></pre>",
    # A bracket never closed, a string never closed, prose around them.
    "Look at values (the list:\n" + CODE + "\nand don't stop. '''half\n" + CODE,
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TEXTS), st.lists(st.integers(0, 4000), max_size=40))
def test_any_split_counts_what_the_whole_text_counts(text: str, cuts: list[int]) -> None:
    reading = GrowingText()
    for end in [*sorted({min(c, len(text)) for c in cuts}), len(text)]:
        counts = reading.read(text[:end]).counts()
        assert counts == read_text(text[:end])
        assert all(reading.get(shingle) == n for shingle, n in counts.items())


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(TEXTS), st.lists(st.integers(0, 4000), max_size=40))
def test_the_lexer_read_again_gives_the_tokens_of_the_whole_text(
    text: str, cuts: list[int]
) -> None:
    lexer = Lexer()
    for end in [*sorted({min(c, len(text)) for c in cuts}), len(text)]:
        tokens, final = lexer.read(text[:end])
        assert tokens == code_tokens(text[:end])
        assert tokens[:final] == code_tokens(text)[:final]  # final tokens stay


def test_unwrapped_code_is_read_as_code() -> None:
    commented = "".join(f"# {line}\n" for line in LINES)
    assert read_text(commented) == read_text(CODE)
