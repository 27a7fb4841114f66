"""The guardrails on the tutor's replies, fed as a model server streams them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jelai.config import JelaiTutor
from jelai.gateway.assignments import Assignment
from jelai.gateway.exchange import split_reasoning
from jelai.gateway.fences import CodeFences, trim_note
from jelai.gateway.guardrails import LEAK_NOTE, ReplyGuard, ReplyRules
from jelai.gateway.prompt import TutorMd, merge_pedagogy
from jelai.record.staff import event_for_student, for_student

NOTE3 = trim_note(3)


def trim(text: str, limit: int = 3, pieces: list[str] | None = None) -> tuple[str, CodeFences]:
    """What a student is sent of `text` fed in `pieces` (the whole text at once by default)."""
    fences = CodeFences(limit)
    out = "".join(fences.feed(piece) for piece in (pieces or [text]))
    return out + fences.finish(), fences


def block(lines: int, fence: str = "```") -> str:
    body = "\n".join(f"x{i} = {i}" for i in range(lines))
    return f"{fence}python\n{body}\n{fence}"


# The cases of the browser's earlier check, with its results.
CASES = [
    (f"Try this on a small dict:\n{block(3)}\nWhat do you see?", None),
    (
        f"Here is the idea:\n{block(6)}\nWhat do you see?",
        "Here is the idea:\n```python\nx0 = 0\nx1 = 1\nx2 = 2\n```\n"
        + NOTE3
        + "\nWhat do you see?",
    ),
    ("```\na = 1\n\n\nb = 2\n\nc = 3\n```", None),
    (
        "Look:\n```python\nx0 = 0\nx1 = 1\n\n\nx2 = 2\n\nx3 = 3\n",  # never closed
        "Look:\n```python\nx0 = 0\nx1 = 1\n\n\nx2 = 2\n```\n" + trim_note(1),
    ),
    (block(5, "~~~"), "~~~python\nx0 = 0\nx1 = 1\nx2 = 2\n~~~\n" + trim_note(2)),
    ("````md\n```\na\nb\nc\nd\n```\n````\nafter", "````md\n```\na\nb\n````\n" + NOTE3 + "\nafter"),
    ("    ```\nfour spaces are no fence\n    ```", None),
    ("Inline ``` is no fence, nor is ``this``.", None),
]


@pytest.mark.parametrize(("reply", "expected"), CASES)
def test_long_blocks_keep_their_first_lines_and_a_note(reply: str, expected: str | None) -> None:
    assert trim(reply)[0] == (reply if expected is None else expected)


def test_the_cut_part_never_leaves_whatever_the_chunks() -> None:
    reply = f"Here:\n{block(8)}\nand\n~~~\nsecret1\nsecret2\nsecret3\nsecret4\n~~~\nDone."
    expected, _ = trim(reply)
    for size in range(1, 12):
        pieces = [reply[i : i + size] for i in range(0, len(reply), size)]
        fences = CodeFences(3)
        sent = [fences.feed(piece) for piece in pieces] + [fences.finish()]
        assert "".join(sent) == expected
        assert not any(f"x{i}" in "".join(sent) for i in range(3, 8))
        assert "secret4" not in "".join(sent)


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["`", "~", " ", "\n", "a", "é", "😀", "\r", "\t", "```", "   ```py"]),
        max_size=40,
    ).map("".join),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=6),
    limit=st.integers(min_value=0, max_value=3),
)
def test_any_split_of_the_text_sends_the_same(text: str, cuts: list[int], limit: int) -> None:
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    whole, once = trim(text, limit)
    split, fed = trim(text, limit, pieces)
    assert split == whole
    assert (fed.blocks_trimmed, fed.lines_removed, fed.longest_block) == (
        once.blocks_trimmed,
        once.lines_removed,
        once.longest_block,
    )


def test_text_outside_code_passes_at_once_and_code_within_the_limit_as_it_comes() -> None:
    fences = CodeFences(2)
    assert fences.feed("Hello, try") == "Hello, try"
    assert fences.feed(" this:\n``") == " this:\n"  # a fence may be starting
    assert fences.feed("`py\n") == ""  # the opening line waits for the first code line
    assert fences.feed("a = 1\n\n") == "```py\na = 1\n"  # a blank line waits for the next
    assert fences.feed("b") == "\nb"
    assert fences.feed(" = 2\nc = 3\nd = 4\n") == " = 2\n```\n"  # c is the third line: cut
    assert fences.feed("```\nBye") == NOTE3.replace("3 more lines", "2 more lines") + "\nBye"


def test_the_record_says_what_was_cut() -> None:
    _, fences = trim(f"{block(5)}\nand\n{block(7)}")
    assert (fences.blocks_trimmed, fences.lines_removed, fences.longest_block) == (2, 6, 7)


def test_a_limit_of_zero_shows_no_code_at_all() -> None:
    sent, _ = trim(f"Think first.\n{block(2)}", 0)
    assert sent == "Think first.\n" + trim_note(2)


# The guard on Ollama's NDJSON lines.


def ollama_lines(content: str, size: int = 3, thinking: str = "") -> list[bytes]:
    """A reply as Ollama streams it, `size` characters a line."""
    lines = [
        json.dumps({"model": "m", "message": {"role": "assistant", "content": "", "thinking": t}})
        for t in (thinking[i : i + size] for i in range(0, len(thinking), size))
    ]
    lines += [
        json.dumps(
            {"model": "m", "message": {"role": "assistant", "content": content[i : i + size]}}
        )
        for i in range(0, len(content), size)
    ]
    lines.append(
        json.dumps(
            {
                "model": "m",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "eval_count": 9,
            }
        )
    )
    return [line.encode() for line in lines]


def relay(guard: ReplyGuard, lines: list[bytes]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    for line in lines:
        for out in guard.relay(line):
            assert out.endswith(b"\n") and out.count(b"\n") == 1
            sent.append(json.loads(out))
    return sent


def said(sent: list[dict[str, Any]], field: str = "content") -> str:
    return "".join(item.get("message", {}).get(field, "") for item in sent)


def test_the_guard_rewrites_ollamas_lines_and_keeps_the_last_one() -> None:
    reply = f"Here is the idea:\n{block(8)}\nWhat do you see? é😀"
    guard = ReplyGuard(ReplyRules("tutor", 3))
    sent = relay(guard, ollama_lines(reply, size=2))
    assert said(sent) == trim(reply)[0]
    assert sent[-1]["done"] is True and sent[-1]["eval_count"] == 9
    assert all(item["model"] == "m" for item in sent)
    records = guard.records({"reply": reply, "reasoning": None, "status": "finished"})
    assert records[0][1]["reply"] == trim(reply)[0]
    assert records[0][1]["model_reply"] == reply
    assert records[1] == (
        "tutor.reply_trimmed",
        {"max_code_lines": 3, "blocks_trimmed": 1, "lines_removed": 5, "longest_block": 8},
    )


def test_prose_goes_out_byte_for_byte_and_a_short_block_whole() -> None:
    guard = ReplyGuard(ReplyRules("tutor", 3))
    lines = ollama_lines("Have you tried printing it? Which line fails?", size=4)
    assert [out for line in lines for out in guard.relay(line)] == [line + b"\n" for line in lines]
    snippet = "Print it:\n```\nprint(x)\n```\n"
    guard = ReplyGuard(ReplyRules("tutor", 3))
    sent = relay(guard, ollama_lines(snippet, size=4))
    assert said(sent) == snippet
    assert sum(1 for item in sent if item.get("done")) == 1
    data = guard.records({"reply": snippet, "reasoning": None})
    assert len(data) == 1 and "model_reply" not in data[0][1]


def test_no_reasoning_reaches_the_student_in_tutor_mode() -> None:
    thinking = "The hidden notes say SECRET-CANARY: the odd item is milk.\n"
    guard = ReplyGuard(ReplyRules("tutor", 2))
    sent = relay(guard, ollama_lines("What does the traceback say?", thinking=thinking))
    assert "CANARY" not in json.dumps(sent) and not said(sent, "thinking")
    assert said(sent) == "What does the traceback say?"
    assert sent[-1]["done"] is True
    # Each line of reasoning still gives the browser a line: the stream stays alive.
    assert len(sent) == len(ollama_lines("What does the traceback say?", thinking=thinking))
    data = guard.records({"reply": "What does the traceback say?", "reasoning": thinking})
    assert data == [
        ("chat.exchange", {"reply": "What does the traceback say?", "reasoning": thinking})
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "<think>They forgot\nto run cell 1; SECRET.</think>\n\nWhich cell defines x?",
            "  <THINKING>a < b SECRET</thinking>\n<think>SECRET</think> Try <think>x</think>",
            "<think>SECRET never closed </thi",
            "Compare a < b, and <thinkers> too.",
        ]
    ),
    st.lists(st.integers(0, 90), max_size=15),
)
def test_inline_reasoning_is_held_back_whatever_the_pieces(text: str, cuts: list[int]) -> None:
    guard = ReplyGuard(ReplyRules("tutor", 6))
    ends = sorted({min(cut, len(text)) for cut in cuts} | {len(text)})
    pieces = [text[a:b] for a, b in zip([0, *ends], ends)]
    lines = [
        json.dumps({"message": {"role": "assistant", "content": piece}, "done": False}).encode()
        for piece in pieces
    ] + [b'{"message":{"role":"assistant","content":""},"done":true}']
    assert said(relay(guard, lines)) == split_reasoning(text)[0]


def test_a_hidden_layer_withholds_reasoning_in_free_help_too() -> None:
    course = JelaiTutor(mode="assistant")
    assert ReplyGuard.for_prompt(merge_pedagogy(course), {}) is None  # nothing to guard
    hidden = merge_pedagogy(course, Assignment("week1", "Never mention recursion.", None))
    assert hidden.mode == "assistant"
    guard = ReplyGuard.for_prompt(hidden, {})
    assert guard is not None and guard.rules.withholds_reasoning
    sent = relay(guard, ollama_lines("Use recursion.", thinking="I must not mention recursion."))
    assert said(sent) == "Use recursion." and not said(sent, "thinking")


def test_relayed_reasoning_is_held_to_the_reference_too() -> None:
    """Free help without a hidden layer relays the reasoning, judged like the answer."""
    guard = ReplyGuard(ReplyRules("assistant", 6), SOLUTION)
    thinking = f"They want:\n```python\n{COPY.strip()}\n```\n"
    sent = relay(guard, ollama_lines("Try a loop.", thinking=thinking))
    assert guard.stopped and "sorted(numbers)" not in said(sent, "thinking")


def test_error_lines_pass_and_unreadable_lines_do_not() -> None:
    guard = ReplyGuard(ReplyRules("tutor", 3))
    assert guard.relay(b'{"error":"model runner crashed"}') == [
        b'{"error":"model runner crashed"}\n'
    ]
    assert guard.relay(b"not json") == []


SOLUTION = """
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[middle - 1] + ordered[middle]) / 2
    return ordered[middle]
"""
COPY = SOLUTION.replace("values", "numbers").replace("ordered", "s").replace("middle", "m")


def test_a_reply_giving_the_solution_away_is_stopped_before_its_code_leaves() -> None:
    reply = f"Sure! Here is the full function:\n\n```python\n{COPY.strip()}\n```\n\nEnjoy."
    guard = ReplyGuard(ReplyRules("tutor", 6), SOLUTION)
    sent = relay(guard, ollama_lines(reply, size=5))
    assert guard.stopped
    assert said(sent) == f"Sure! Here is the full function:\n\n{LEAK_NOTE}"
    assert sent[-1]["done"] is True and sent[-1]["done_reason"] == "stop"
    assert sum(1 for item in sent if item.get("done")) == 1
    records = guard.records({"reply": reply, "reasoning": None})
    assert records[0][1]["reply"] == said(sent)
    assert "sorted(numbers)" in records[0][1]["model_reply"]
    kind, data = records[-1]
    assert kind == "tutor.leak_blocked"
    assert data["share"] >= data["threshold"] == 0.6
    assert guard.relay(ollama_lines("more")[0]) == []  # nothing after the stop


def test_a_long_block_giving_the_solution_away_is_stopped_before_it_ends() -> None:
    copy = COPY.strip() + "\n" + "\n".join(f"print(median([{i}]))" for i in range(60))
    guard = ReplyGuard(ReplyRules("tutor", 6), SOLUTION)
    lines = ollama_lines(f"```python\n{copy}\n```\nDone.", size=4)
    fed = 0
    while not guard.stopped and fed < len(lines):
        guard.relay(lines[fed])
        fed += 1
    assert guard.stopped
    assert fed < len(lines) / 2  # the model was stopped well before the end of the block


def test_with_a_reference_blocks_wait_to_be_judged_and_honest_ones_then_pass() -> None:
    honest = "Sort first:\n```python\nnames = sorted(names)\nprint(names[0])\n```\nThen?"
    guard = ReplyGuard(ReplyRules("tutor", 6), SOLUTION)
    sent: list[str] = []
    for line in ollama_lines(honest, size=1):
        sent.append(said([json.loads(o) for o in guard.relay(line)]))
    joined = "".join(sent)
    assert joined == honest and not guard.stopped
    # Nothing of the block went out before its closing fence came.
    upto_close = "".join(sent[: honest.index("```\nThen") + 3])
    assert "names" not in upto_close


def test_the_students_own_code_repeated_back_is_no_leak() -> None:
    reply = f"Your function:\n```python\n{SOLUTION.strip()}\n```\nlooks right. Why?"
    known = [f"Is this right?\n```python\n{SOLUTION}\n```"]
    guard = ReplyGuard(ReplyRules("tutor", 10), SOLUTION, known)
    assert said(relay(guard, ollama_lines(reply))) == reply
    assert not guard.stopped


def test_code_from_an_earlier_reply_is_not_the_students_own() -> None:
    half = "\n".join(SOLUTION.strip().splitlines()[:4])
    payload = {
        "messages": [
            {"role": "user", "content": "How do I start?"},
            {"role": "assistant", "content": f"```python\n{half}\n```"},
            {"role": "user", "content": "And the rest?"},
        ]
    }
    pedagogy = merge_pedagogy(JelaiTutor(max_code_lines=10))
    guard = ReplyGuard.for_prompt(pedagogy, payload, SOLUTION)
    assert guard is not None
    relay(guard, ollama_lines(f"All of it:\n```python\n{SOLUTION.strip()}\n```\n"))
    assert guard.stopped


def test_assistant_mode_is_not_guarded_and_the_page_only_tightens() -> None:
    course = JelaiTutor(mode="assistant", max_code_lines=6)
    assert ReplyGuard.for_prompt(merge_pedagogy(course), {}) is None
    tightened = merge_pedagogy(course, notebook={"mode": "tutor", "max_code_lines": 2})
    assert ReplyRules.of(tightened) == ReplyRules("tutor", 2)
    strict = JelaiTutor(mode="tutor", max_code_lines=4)
    loosening = TutorMd("week1/TUTOR.md", "---\nmode: assistant\nmax_code_lines: 50\n---\nHelp.")
    for pedagogy in (
        merge_pedagogy(strict, tutor_md=loosening),
        merge_pedagogy(strict, notebook={"mode": "assistant", "max_code_lines": 50}),
    ):
        assert ReplyRules.of(pedagogy) == ReplyRules("tutor", 4)


def test_free_help_keeps_long_blocks_but_not_the_solution() -> None:
    """Assistant mode with a reference: no snippet limit, the leak check all the same."""
    pedagogy = merge_pedagogy(JelaiTutor(mode="assistant", max_code_lines=2))
    guard = ReplyGuard.for_prompt(pedagogy, {}, SOLUTION)
    assert guard is not None
    long_help = f"Here:\n{block(12)}\nDone."
    assert said(relay(guard, ollama_lines(long_help))) == long_help
    assert guard.records({"reply": long_help}) == [("chat.exchange", {"reply": long_help})]
    guard = ReplyGuard.for_prompt(pedagogy, {}, SOLUTION)
    assert guard is not None
    sent = relay(guard, ollama_lines(f"All of it:\n```python\n{COPY.strip()}\n```\n"))
    assert guard.stopped and said(sent) == f"All of it:\n\n{LEAK_NOTE}"


def test_the_staff_only_fields_are_left_out_for_the_student() -> None:
    exchange = {
        "type": "chat.exchange",
        "data": {"reply": "shown", "model_reply": "everything", "model_reasoning": None},
    }
    other = {"type": "cell.execute", "data": {"source": '"model_reply"'}}
    assert event_for_student(exchange)["data"] == {"reply": "shown"}
    assert event_for_student(other) is other
    rows = for_student([json.dumps(exchange), json.dumps(other)])
    assert [json.loads(row)["data"] for row in rows] == [{"reply": "shown"}, other["data"]]


MEDIAN = """def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[middle - 1] + ordered[middle]) / 2
    return ordered[middle]
"""


def streamed(guard: ReplyGuard, reply: str) -> str:
    """What the student is shown of `reply`, streamed a few characters a line."""
    shown = []
    pieces = [reply[i : i + 7] for i in range(0, len(reply), 7)]
    for index, piece in enumerate(pieces):
        done = index == len(pieces) - 1
        item = {"message": {"role": "assistant", "content": piece}, "done": done}
        for out in guard.relay(json.dumps(item).encode()):
            shown.append(json.loads(out)["message"]["content"])
    return "".join(shown)


RENAMED_MEDIAN = MEDIAN.replace("values", "nums").replace("ordered", "s")


@pytest.mark.parametrize(
    "reply",
    [
        "Write this:\n" + RENAMED_MEDIAN,  # prose lines
        "Write this:\n\n" + "".join(f"    {line}\n" for line in RENAMED_MEDIAN.splitlines()),
        "<pre><code>" + RENAMED_MEDIAN.replace("<", "&lt;") + "</code></pre>",
        "Write:\n" + "".join(f"`{line}`\n" for line in RENAMED_MEDIAN.splitlines()),
        "As a comment:\n" + "".join(f"# {line}\n" for line in RENAMED_MEDIAN.splitlines()),
        "```python\n" + "".join(f"# {line}\n" for line in RENAMED_MEDIAN.splitlines()) + "```\n",
        "```js\n/*\n" + "".join(f" * {line}\n" for line in RENAMED_MEDIAN.splitlines()) + "*/\n```",
        'The notes:\n"""\n' + RENAMED_MEDIAN + '"""\nThat is all.',
        "steps = " + json.dumps(RENAMED_MEDIAN.splitlines(), indent=4) + "\n",
        "steps = " + repr(RENAMED_MEDIAN.splitlines()) + "\n",
        "| step | code |\n|---|---|\n"
        + "".join(f"| {i} | `{line}` |\n" for i, line in enumerate(RENAMED_MEDIAN.splitlines())),
    ],
    ids=[
        "prose",
        "indented",
        "html",
        "inline-backticks",
        "comments",
        "comments-in-a-fence",
        "block-comment",
        "docstring",
        "json-list-of-strings",
        "python-list-of-strings",
        "table",
    ],
)
def test_a_solution_outside_fences_or_wrapped_is_stopped(reply: str) -> None:
    guard = ReplyGuard(ReplyRules("tutor", 6), MEDIAN)
    shown = streamed(guard, reply)
    assert guard.stopped and shown.endswith(LEAK_NOTE)
    assert "return s[middle]" not in shown


def test_an_ordinary_prose_hint_passes_beside_a_reference() -> None:
    hint = (
        "Think about what the middle of a sorted list means. First sort the values, "
        "then find the index in the middle with integer division by 2. If the "
        "length is even, there are two middle values: what would you do with them? "
        "Try `sorted(values)` on a small list and print the `len` of it.\n"
    ) * 3
    guard = ReplyGuard(ReplyRules("tutor", 6), MEDIAN)
    assert streamed(guard, hint) == hint and not guard.stopped


def test_hints_in_lists_quotes_and_comments_pass_beside_a_reference() -> None:
    hint = (
        "A few steps to try:\n\n"
        "- Sort the values first: `ordered = sorted(values)`.\n"
        '- "Middle" means the index `len(ordered) // 2`.\n'
        "- If the length is even, which two values are in the middle?\n\n"
        "> Tip: print the list after sorting.\n\n"
        "```python\n# check your idea on a small list\nprint(sorted([3, 1, 2]))\n```\n"
        '"What does your function return for [1, 2, 3, 4]?"\n'
    )
    guard = ReplyGuard(ReplyRules("tutor", 6), MEDIAN)
    assert streamed(guard, hint) == hint and not guard.stopped
