"""The course folder: which assignment a notebook belongs to, its instructions
and its reference solution (nbgrader's layout understood)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jelai.gateway.assignments import (
    find_assignment,
    reference_solution,
    solution_code,
    solution_regions,
)
from jelai.gateway.instructions import InstructionsPathError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def cell(source: str, kind: str = "code", solution: bool | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if solution is not None:
        metadata["nbgrader"] = {"solution": solution, "grade": False, "locked": False}
    return {"cell_type": kind, "metadata": metadata, "source": source.splitlines(keepends=True)}


def notebook(*cells: dict[str, Any]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)})


PS1_SOURCE = notebook(
    cell("# Problem 1\nWrite `squares`.", "markdown"),
    cell(
        'def squares(n):\n    """The first n squares."""\n'
        "    ### BEGIN SOLUTION\n    return [i * i for i in range(n)]\n    ### END SOLUTION",
        solution=True,
    ),
    cell("assert squares(3) == [0, 1, 4]"),
    # A solution cell without a region is a solution as a whole (nbgrader's rule).
    cell("def cubes(n):\n    return [i ** 3 for i in range(n)]", solution=True),
    # A written answer is not code.
    cell("Squares grow fast.", "markdown", solution=True),
)


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A course folder with a plain assignment and an nbgrader one."""
    root = tmp_path / "course"
    write(root / "week1" / "TUTOR.md", "---\nmax_code_lines: 2\n---\nWeek 1: loops.")
    write(root / "week1" / "solution.py", "total = sum(range(10))\n")
    write(root / "source" / "ps1" / "problem1.ipynb", PS1_SOURCE)
    write(root / "ps1" / "TUTOR.md", "Problem set 1: lists.")
    write(root / "release" / "ps9" / "x.ipynb", notebook())
    return root


def test_the_innermost_folder_that_is_an_assignment_names_it(course_dir: Path) -> None:
    found = find_assignment(course_dir, "ps1/problem1.ipynb")
    assert found is not None and found.name == "ps1"
    # nbgrader's fetch with a course id, and folders that are no assignment.
    for path in ("intro/ps1/problem1.ipynb", "ps1/data/problem1.ipynb", "week1/ps1/x.ipynb"):
        found = find_assignment(course_dir, path)
        assert found is not None and found.name == "ps1", path
    found = find_assignment(course_dir, "week1/lab.ipynb")
    assert found is not None and found.name == "week1"


def test_the_file_name_names_it_when_no_folder_does(course_dir: Path) -> None:
    found = find_assignment(course_dir, "week1.ipynb")
    assert found is not None and found.name == "week1"
    found = find_assignment(course_dir, "other/ps1.ipynb")
    assert found is not None and found.name == "ps1"


def test_no_assignment_for_other_notebooks_or_nbgraders_own_folders(course_dir: Path) -> None:
    for path in ("lab.ipynb", "week2/lab.ipynb", "source/lab.ipynb", "release/ps9.ipynb"):
        assert find_assignment(course_dir, path) is None, path
    assert find_assignment(course_dir, "release/x.ipynb") is None


def test_instructions_come_from_the_assignment_folder(course_dir: Path) -> None:
    week1 = find_assignment(course_dir, "week1/lab.ipynb")
    assert week1 is not None
    assert week1.instructions == "---\nmax_code_lines: 2\n---\nWeek 1: loops."
    assert week1.reference == "total = sum(range(10))"
    ps1 = find_assignment(course_dir, "ps1/problem1.ipynb")
    assert ps1 is not None and ps1.instructions == "Problem set 1: lists."
    # Without a folder of its own, nbgrader's source folder is read.
    (course_dir / "ps1" / "TUTOR.md").unlink()
    (course_dir / "ps1").rmdir()
    write(course_dir / "source" / "ps1" / "TUTOR.md", "From the source folder.")
    ps1 = find_assignment(course_dir, "ps1/problem1.ipynb")
    assert ps1 is not None and ps1.instructions == "From the source folder."


def test_the_reference_is_nbgraders_solution_regions_and_solution_cells(course_dir: Path) -> None:
    assert reference_solution(course_dir, "ps1/problem1.ipynb") == (
        "return [i * i for i in range(n)]\n\ndef cubes(n):\n    return [i ** 3 for i in range(n)]"
    )
    assert reference_solution(course_dir, "lab.ipynb") is None
    assert reference_solution(None, "ps1/problem1.ipynb") is None
    assert reference_solution("", "ps1/problem1.ipynb") is None


def test_solution_files_come_first_and_a_solution_notebook_counts_whole(course_dir: Path) -> None:
    write(course_dir / "ps1" / "solution.ipynb", notebook(cell("x = 1"), cell("note", "markdown")))
    assert reference_solution(course_dir, "ps1/problem1.ipynb") == (
        "x = 1\n\nreturn [i * i for i in range(n)]\n\n"
        "def cubes(n):\n    return [i ** 3 for i in range(n)]"
    )


def test_regions_follow_nbgraders_words_with_any_comment_marker() -> None:
    source = (
        "a = 1\n// BEGIN SOLUTION\nb = 2\n  c = 3\n// END SOLUTION\n"
        "### BEGIN SOLUTION\n### END SOLUTION"
    )
    assert solution_regions(source) == ["b = 2\n  c = 3"]
    assert solution_regions("### BEGIN SOLUTION\nnever closed") == []
    assert solution_code({"cells": [cell("plain code")]}) == []
    assert solution_code({"cells": "nonsense"}) == []


def test_files_outside_the_course_folder_are_not_read(course_dir: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "elsewhere" / "TUTOR.md", "outside")
    write(course_dir / "week3" / "notes.txt", "")
    (course_dir / "week3" / "TUTOR.md").symlink_to(secret)
    (course_dir / "linked").symlink_to(secret.parent, target_is_directory=True)
    week3 = find_assignment(course_dir, "week3/lab.ipynb")
    assert week3 is not None and week3.instructions is None
    assert find_assignment(course_dir, "linked/lab.ipynb") is None


@pytest.mark.parametrize("path", ["../course/week1/lab.ipynb", "/etc/week1.ipynb", ""])
def test_paths_that_could_leave_the_folder_are_refused(course_dir: Path, path: str) -> None:
    with pytest.raises(InstructionsPathError):
        find_assignment(course_dir, path)


def test_a_name_too_long_for_the_file_system_is_no_assignment(course_dir: Path) -> None:
    # A student's hand-made path must not make the instructions unreadable (a 503).
    assert find_assignment(course_dir, "x" * 300 + "/lab.ipynb") is None
    assert find_assignment(course_dir, "ps1/" + "y" * 300 + ".ipynb") is not None
