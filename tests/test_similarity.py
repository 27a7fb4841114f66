"""The rule that tells a reply giving the solution away, on real cases.

Each folder of `fixtures/leaks` holds an assignment's reference solution
(`reference.txt`) and replies that copy it (renamed, reordered) or copy a
part of it; `honest/` holds code a tutor may well write that is not the
solution of any of them. docs/guardrails.md shows the same measurements.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jelai.gateway.similarity import THRESHOLD, LeakCheck, code_tokens

LEAKS = Path(__file__).parent / "fixtures" / "leaks"
REFERENCES = sorted(p.parent.name for p in LEAKS.glob("*/reference.txt"))
COPIES = sorted(
    (p.parent.name, p.stem) for p in LEAKS.glob("*/*.txt") if p.stem in ("renamed", "reordered")
)
HONEST = sorted(p.stem for p in (LEAKS / "honest").glob("*.txt"))


def read(folder: str, name: str) -> str:
    return (LEAKS / folder / f"{name}.txt").read_text(encoding="utf-8")


def share(reference: str | list[str], code: str, known: tuple[str, ...] = ()) -> tuple[float, bool]:
    check = LeakCheck(reference, known)
    result = check.check(check.shingles(code))
    assert result is not None
    return result.share, check.leaks(result)


def test_the_normalised_code_forgets_names_numbers_strings_comments_and_layout() -> None:
    original = (
        'def total(items):\n    """Sum."""\n    return sum(i["price"] for i in items)  # all\n'
    )
    renamed = "def  add_up( xs ) :\n  return sum( x['cost'] for x in xs )\n"
    assert code_tokens(original) == code_tokens(renamed)
    assert code_tokens(original)[:6] == ["def", "V", "(", "V", ")", ":"]
    assert "sum" in code_tokens(original)  # built-in names stay


def test_code_cut_anywhere_or_in_another_language_is_still_read() -> None:
    for text in (
        "x = foo(1,\n  2",
        "s = '''never closed",
        "echo $HOME | grep ?",
        "\u00e9t\u00e9 = 1",
    ):
        assert code_tokens(text)


@pytest.mark.parametrize("folder", REFERENCES)
def test_a_verbatim_copy_is_a_leak(folder: str) -> None:
    reference = read(folder, "reference")
    assert share(reference, reference) == (1.0, True)


WRAPS = {
    "comments": lambda code: "".join(f"# {line}\n" for line in code.splitlines()),
    "c-comments": lambda code: "".join(f"// {line}\n" for line in code.splitlines()),
    "sql-comments": lambda code: "".join(f"-- {line}\n" for line in code.splitlines()),
    "block-comment": lambda code: "/*\n" + code + "\n*/",
    "docstring": lambda code: f'"""\n{code}\n"""',
    "single-quoted-docstring": lambda code: f"r'''{code}'''",
    "list-of-strings": lambda code: "steps = " + json.dumps(code.splitlines(), indent=2),
    "one-line-list": lambda code: "steps = " + repr(code.splitlines()),
    "one-string": lambda code: "solution = " + json.dumps(code),
}


@pytest.mark.parametrize("wrap", sorted(WRAPS))
@pytest.mark.parametrize("folder", REFERENCES)
def test_a_copy_in_comments_or_strings_is_a_leak(folder: str, wrap: str) -> None:
    reference = read(folder, "reference")
    assert share(reference, WRAPS[wrap](reference)) == (1.0, True)


@pytest.mark.parametrize("folder", REFERENCES)
def test_wrapped_code_the_student_sent_is_theirs(folder: str) -> None:
    reference = read(folder, "reference")
    commented = WRAPS["comments"](reference)
    assert share(reference, commented, (f"I commented it out:\n{commented}",)) == (0.0, False)


@pytest.mark.parametrize(("folder", "copy"), COPIES)
def test_renamed_and_reordered_copies_are_leaks(folder: str, copy: str) -> None:
    found, leaks = share(read(folder, "reference"), read(folder, copy))
    assert leaks, f"{folder}/{copy}: {found:.2f}"


@pytest.mark.parametrize("folder", REFERENCES)
def test_honest_code_and_other_assignments_solutions_pass(folder: str) -> None:
    reference = read(folder, "reference")
    others = [("honest", name) for name in HONEST]
    others += [(other, "reference") for other in REFERENCES if other != folder]
    for where, name in others:
        found, leaks = share(reference, read(where, name))
        assert not leaks, f"{where}/{name} against {folder}: {found:.2f}"
        assert found < THRESHOLD - 0.15  # with room to spare


def test_part_of_a_solution_passes_against_the_whole_but_not_against_its_region() -> None:
    reference = read("stats", "reference")
    two_of_three = read("stats", "two_functions")
    assert share(reference, two_of_three)[1] is False
    regions = ["\n\ndef" + part if i else part for i, part in enumerate(reference.split("\n\ndef"))]
    assert len(regions) == 3
    assert share(regions, two_of_three)[1] is True


def test_a_short_reference_never_triggers() -> None:
    loop = "total = 0\nfor price in prices:\n    total += price\n"
    assert share(loop, loop) == (1.0, False)
    assert not LeakCheck("total = sum(prices)\n").applies


def test_code_the_student_sent_is_not_counted_as_leaked() -> None:
    reference = read("basket", "reference")
    own = read("basket", "renamed")  # the student wrote it and asked about it
    assert share(reference, own, (f"Why is this wrong?\n```\n{own}\n```",)) == (0.0, False)
    assert share(reference, own)[1] is True
