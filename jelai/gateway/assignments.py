"""The instructor-only layer: a course folder that only the course's service reads.

    course_dir/                      c.JelaiService.course_dir
      week1/                         one folder per assignment
        TUTOR.md                     instructions for the tutor (front matter: mode, max_code_lines)
        solution.py                  a reference solution: any file named solution*
      source/                        nbgrader's layout is understood as well
        ps2/
          problem1.ipynb             its solution regions are the reference

**Matching rule.** A notebook belongs to the assignment named by its
innermost folder that is an assignment, else by its file name without the
extension: for `course/ps2/problem1.ipynb` the candidates are `ps2`,
`course`, then `problem1`. A candidate is an assignment when
`course_dir/<name>/` or `course_dir/source/<name>/` is a folder (nbgrader's
own folders `source`, `release`, `submitted`, `autograded` and `feedback`
never name one). So a notebook released by nbgrader into
`<home>/ps2/problem1.ipynb` finds `source/ps2`.

**Instructions** are `TUTOR.md` in `course_dir/<name>/`, else in
`course_dir/source/<name>/` (nbgrader copies every file of `source/<name>/`
into the release: keep instructions beside `source/`, or add `TUTOR.md` to
nbgrader's `CourseDirectory.ignore`).

**The reference solution** is made of, in this order: the files named
`solution*` in `course_dir/<name>/` (a notebook's code cells, any other
file's text), then from every notebook of both folders the code between
`### BEGIN SOLUTION` and `### END SOLUTION` (any comment marker: nbgrader
looks for the words) and the whole source of nbgrader solution cells
(`metadata.nbgrader.solution`) that have no such region.

**A notebook that matches no assignment** (renamed, or a page naming none)
gets no instructor-only instructions and the course's own mode and snippet
limit. The leak check does not follow the name: the gateway holds every
reply to every assignment's reference solution (`every_reference`), in every
mode, so a name (none, another assignment's, one without a solution) dodges
the hidden instructions, never the check against the solutions.

Paths come from the browser: they are checked (`notebook_parts`), and no
file that resolves outside `course_dir` is read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .instructions import TUTOR_FILE, notebook_parts

# Folders of nbgrader's course directory that are never an assignment's name.
NBGRADER_FOLDERS = ("source", "release", "submitted", "autograded", "feedback")
BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TUTOR_BYTES = 32 * 1024


@dataclass(frozen=True)
class Assignment:
    """An assignment of the course folder, as the gateway uses it."""

    name: str
    # Its TUTOR.md, front matter included; None when it has none.
    instructions: str | None
    # The reference solution (see the module docstring); None when it has none.
    reference: str | None
    # The same, one piece per solution file, cell or region: the guard judges
    # a reply against each on its own (`guardrails.py`).
    regions: tuple[str, ...] = ()


def assignment_folders(course_dir: str | os.PathLike[str], notebook: str) -> tuple[str, list[Path]]:
    """The assignment a notebook belongs to and its folders (`<name>/`, then
    `source/<name>/`, those that exist), or `("", [])` for none.

    Raises `InstructionsPathError` for a path that could leave the folder.
    """
    parts = notebook_parts(notebook)
    root = Path(course_dir).expanduser().resolve()
    stem = PurePosixPath(parts[-1]).stem
    for name in [*reversed(parts[:-1]), stem]:
        if not name or name.startswith(".") or name in NBGRADER_FOLDERS:
            continue
        folders = [
            folder
            for folder in (root / name, root / "source" / name)
            if _folder_inside(folder, root)
        ]
        if folders:
            return name, folders
    return "", []


def find_assignment(course_dir: str | os.PathLike[str], notebook: str) -> Assignment | None:
    """The instructor-only layer of a notebook's assignment, or None."""
    name, folders = assignment_folders(course_dir, notebook)
    if not folders:
        return None
    root = Path(course_dir).expanduser().resolve()
    instructions = None
    for folder in folders:
        text = _read_text(folder / TUTOR_FILE, root, MAX_TUTOR_BYTES)
        if text is not None:
            instructions = text
            break
    regions = _reference_regions(folders, root)
    return Assignment(name, instructions, "\n\n".join(regions) or None, tuple(regions))


def every_reference(course_dir: str | os.PathLike[str]) -> tuple[str, ...]:
    """The reference regions of every assignment of the course folder (each
    folder of it, and of `source/`, that could name one), for a notebook that
    matches none."""
    root = Path(course_dir).expanduser().resolve()
    names: set[str] = set()
    for parent in (root, root / "source"):
        if _folder_inside(parent, root):
            names.update(
                p.name
                for p in parent.iterdir()
                if p.is_dir() and not p.name.startswith(".") and p.name not in NBGRADER_FOLDERS
            )
    regions: list[str] = []
    for name in sorted(names):
        folders = [
            folder
            for folder in (root / name, root / "source" / name)
            if _folder_inside(folder, root)
        ]
        regions.extend(_reference_regions(folders, root))
    return tuple(regions)


def reference_solution(course_dir: str | os.PathLike[str] | None, notebook: str) -> str | None:
    """The reference solution of the notebook's assignment (see the module
    docstring), or None when there is no course folder, no assignment or no
    solution in it."""
    if not course_dir:
        return None
    name, folders = assignment_folders(course_dir, notebook)
    if not folders:
        return None
    regions = _reference_regions(folders, Path(course_dir).expanduser().resolve())
    return "\n\n".join(regions) or None


def solution_code(notebook: dict[str, Any]) -> list[str]:
    """The solutions of an nbgrader notebook: the text of each `BEGIN SOLUTION`
    / `END SOLUTION` region of its cells, and the whole source of each
    solution cell that has none."""
    found: list[str] = []
    for cell in notebook.get("cells") or []:
        if not isinstance(cell, dict):
            continue
        source = _source(cell)
        regions = solution_regions(source)
        if regions:
            found.extend(regions)
        elif _is_solution_cell(cell) and cell.get("cell_type") == "code" and source.strip():
            found.append(source.strip("\n"))
    return found


def solution_regions(source: str) -> list[str]:
    """The text between each line holding `BEGIN SOLUTION` and the next
    holding `END SOLUTION` (nbgrader's rule: the words anywhere on the line)."""
    regions: list[str] = []
    inside: list[str] | None = None
    for line in source.splitlines():
        if inside is None:
            if BEGIN_SOLUTION in line:
                inside = []
        elif END_SOLUTION in line:
            if "".join(inside).strip():
                regions.append(_dedent("\n".join(inside)))
            inside = None
        else:
            inside.append(line)
    return regions


def _reference_regions(folders: list[Path], root: Path) -> list[str]:
    pieces: list[str] = []
    own = folders[0]
    if own.parent == root:
        for path in sorted(own.iterdir()):
            if path.name.lower().startswith("solution") and path.is_file():
                if path.suffix == ".ipynb":
                    notebook = _read_notebook(path, root)
                    pieces.extend(_code_cells(notebook) if notebook else [])
                else:
                    text = _read_text(path, root, MAX_FILE_BYTES)
                    if text and text.strip():
                        pieces.append(text.strip("\n"))
    for folder in folders:
        for path in sorted(folder.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts or path.name.lower().startswith("solution"):
                continue
            notebook = _read_notebook(path, root)
            if notebook:
                pieces.extend(solution_code(notebook))
    return pieces


def _read_text(path: Path, root: Path, limit: int) -> str | None:
    """A file's text if it is a regular file inside `root`, at most `limit` bytes."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not _inside(resolved, root) or not resolved.is_file():
        return None
    with open(resolved, "rb") as handle:
        return handle.read(limit).decode("utf-8", errors="replace")


def _read_notebook(path: Path, root: Path) -> dict[str, Any] | None:
    text = _read_text(path, root, MAX_FILE_BYTES)
    try:
        notebook = json.loads(text) if text else None
    except ValueError:
        return None
    return notebook if isinstance(notebook, dict) else None


def _code_cells(notebook: dict[str, Any]) -> list[str]:
    cells = [c for c in notebook.get("cells") or [] if isinstance(c, dict)]
    return [
        _source(c).strip("\n") for c in cells if c.get("cell_type") == "code" and _source(c).strip()
    ]


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _is_solution_cell(cell: dict[str, Any]) -> bool:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return isinstance(nbgrader, dict) and nbgrader.get("solution") is True


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines).strip("\n")


def _inside(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved == root or root in resolved.parents


def _folder_inside(folder: Path, root: Path) -> bool:
    """Whether `folder` is a directory inside `root`; False for a name the
    system refuses (longer than its limit, say): no such assignment."""
    try:
        return _inside(folder, root) and folder.resolve().is_dir()
    except OSError:
        return False
