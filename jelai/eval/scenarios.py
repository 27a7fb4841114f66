"""Evaluation scenarios: data files, checked when they are read.

A scenario is one JSON file (docs/eval.md describes each field): the
notebook as the student has it (nbformat cells), its recent events in a
short form (`type`, `cell` index, `seconds_ago`, `data`) expanded here into
the event envelopes the page records, validated against the event schema,
the conversation so far, the question, the assignment (the instructor's
`TUTOR.md` and reference solution) and `expect`, what the checks look for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from ..record.events import EventError, validate_event

# The moment every scenario is asked at: fixed, so contexts are the same each run.
NOW = datetime(2026, 3, 2, 10, 0, 0, tzinfo=timezone.utc)
FIELDS = {
    "id",
    "title",
    "tags",
    "notebook",
    "active_cell",
    "events",
    "conversation",
    "question",
    "hint",
    "assignment",
    "tutor_md",
    "expect",
}
EXPECT = {"error", "question", "language", "injection", "mentions", "avoids"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ScenarioError(ValueError):
    """A scenario file that cannot be used, and why."""


@dataclass(frozen=True)
class Scenario:
    """One scenario, read and checked."""

    id: str
    title: str
    tags: tuple[str, ...]
    path: str  # the notebook's path
    cells: list[dict[str, Any]]
    metadata: dict[str, Any] | None  # the notebook's metadata.jelai
    active_cell: int | None
    events: list[dict[str, Any]]
    conversation: list[dict[str, str]]
    question: str
    hint: int | None
    assignment: str  # the assignment's name (its folder in the course folder)
    instructions: str | None  # the instructor's TUTOR.md
    solution: str | None  # the reference solution
    tutor_md: dict[str, str] | None  # the student's TUTOR.md beside the notebook
    expect: dict[str, Any] = field(default_factory=dict)
    file: str = ""  # the file it was read from, e.g. `01-first-error-keyerror.json`

    @property
    def active_cell_id(self) -> str | None:
        if self.active_cell is None:
            return None
        return cell_id(self.cells, self.active_cell)


def cell_id(cells: list[dict[str, Any]], index: int) -> str:
    """A cell's id, as the page's `cellsFromNbformat` names it."""
    return str(cells[index].get("id") or f"cell-{index}")


def shipped() -> list[Path]:
    """The scenario files shipped with jelai, in name order."""
    folder = resources.files("jelai.eval") / "scenarios"
    return sorted(Path(str(folder)).glob("*.json"))


def load_all(paths: list[Path] | None = None) -> list[Scenario]:
    """The scenarios of `paths` (files or folders; jelai's own by default)."""
    files: list[Path] = []
    for path in paths or shipped():
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    scenarios = [load(path) for path in files]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(f"two scenarios are called {scenario.id!r}")
        seen.add(scenario.id)
    return scenarios


def load(path: Path) -> Scenario:
    """One scenario file, or a ScenarioError naming the file and the field."""
    try:
        raw = json.loads(path.read_text("utf-8"))
        return replace(parse(raw), file=path.name)
    except (OSError, ValueError) as error:
        raise ScenarioError(f"{path.name}: {error}") from None


def select(scenarios: list[Scenario], wanted: Sequence[str]) -> list[Scenario]:
    """The scenarios `wanted` names, each by its id or its file (`01-first-error-keyerror`,
    with or without `.json` or a folder), in their own order; a ScenarioError
    listing the ids when one names none."""

    def names(scenario: Scenario) -> set[str]:
        return {scenario.id, scenario.file, Path(scenario.file).stem} - {""}

    unknown = [w for w in wanted if not any(Path(w).name in names(s) for s in scenarios)]
    if unknown:
        ids = ", ".join(s.id for s in scenarios)
        raise ScenarioError(
            f"no scenario {', '.join(unknown)}: give a scenario's id or its file's name; "
            f"the ids are {ids}"
        )
    chosen = {Path(w).name for w in wanted}
    return [s for s in scenarios if names(s) & chosen]


def parse(raw: Any) -> Scenario:
    """A scenario from its JSON value."""
    if not isinstance(raw, dict):
        raise ScenarioError("a scenario is a JSON object")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise ScenarioError(f"unknown fields {unknown}")
    ident = _text(raw, "id")
    if not _ID.match(ident):
        raise ScenarioError("id: lower-case letters, digits and dashes")
    notebook = raw.get("notebook")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ScenarioError("notebook: an object with path and cells")
    path = _text(notebook, "path", "notebook.path")
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ScenarioError(f"notebook.cells[{index}]: a cell with cell_type")
        if not isinstance(cell.get("source"), (str, list)):
            raise ScenarioError(f"notebook.cells[{index}].source: text")
    metadata = notebook.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ScenarioError("notebook.metadata: the notebook's metadata.jelai, an object")
    active = raw.get("active_cell")
    if active is not None and not (isinstance(active, int) and 0 <= active < len(cells)):
        raise ScenarioError("active_cell: the index of a cell")
    assignment = raw.get("assignment") or {}
    if not isinstance(assignment, dict) or set(assignment) - {"name", "instructions", "solution"}:
        raise ScenarioError("assignment: {name, instructions, solution}")
    hint = raw.get("hint")
    if hint is not None and hint not in (1, 2, 3):
        raise ScenarioError("hint: 1, 2 or 3")
    tutor_md = raw.get("tutor_md")
    if tutor_md is not None and not isinstance(tutor_md, str):
        raise ScenarioError("tutor_md: the text of the TUTOR.md beside the notebook")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict) or set(expect) - EXPECT:
        raise ScenarioError(f"expect: an object with some of {sorted(EXPECT)}")
    _check_expect(expect)
    conversation = raw.get("conversation") or []
    for index, turn in enumerate(conversation):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ScenarioError(f"conversation[{index}]: {{role, content}}")
    folder = str(Path(path).parent) if "/" in path else ""
    return Scenario(
        id=ident,
        title=_text(raw, "title"),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        path=path,
        cells=cells,
        metadata=metadata,
        active_cell=active,
        events=[_event(e, i, path, cells) for i, e in enumerate(raw.get("events") or [])],
        conversation=conversation,
        question=_text(raw, "question"),
        hint=hint,
        assignment=str(assignment.get("name") or folder or Path(path).stem),
        instructions=assignment.get("instructions"),
        solution=assignment.get("solution"),
        tutor_md={"path": f"{folder}/TUTOR.md" if folder else "TUTOR.md", "text": tutor_md}
        if tutor_md
        else None,
        expect=expect,
    )


def _check_expect(expect: dict[str, Any]) -> None:
    error = expect.get("error")
    if error is not None and (
        not isinstance(error, dict)
        or not isinstance(error.get("name"), str)
        or not isinstance(error.get("line"), int)
        or not isinstance(error.get("text", ""), str)
    ):
        raise ScenarioError("expect.error: {name, line, text}")
    if "question" in expect and not isinstance(expect["question"], bool):
        raise ScenarioError("expect.question: true or false")
    injection = expect.get("injection")
    if injection is not None and not (
        isinstance(injection, dict) and isinstance(injection.get("canary"), str)
    ):
        raise ScenarioError("expect.injection: {canary}")
    for name in ("mentions", "avoids"):
        groups = expect.get(name, [])
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and g and all(isinstance(w, str) for w in g) for g in groups
        ):
            raise ScenarioError(f"expect.{name}: a list of lists of words")


def _event(short: Any, index: int, path: str, cells: list[dict[str, Any]]) -> dict[str, Any]:
    """An event envelope from a scenario's short form, checked against the schema."""
    where = f"events[{index}]"
    if not isinstance(short, dict) or not isinstance(short.get("type"), str):
        raise ScenarioError(f"{where}: {{type, cell, seconds_ago, data}}")
    cell = short.get("cell")
    ref = None
    if cell is not None:
        if not (isinstance(cell, int) and 0 <= cell < len(cells)):
            raise ScenarioError(f"{where}.cell: the index of a cell")
        kind = cells[cell]["cell_type"]
        ref = {"id": cell_id(cells, cell), "index": cell, "type": kind}
    ago = short.get("seconds_ago", 0)
    if not isinstance(ago, (int, float)) or ago < 0:
        raise ScenarioError(f"{where}.seconds_ago: a number of seconds")
    time = NOW - timedelta(seconds=ago)
    event = {
        "schema_version": 1,
        "id": f"eval-event-{index:04d}",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time.microsecond // 1000:03d}Z",
        "session": "eval",
        "notebook": path,
        "kernel": {"id": "eval-kernel", "name": "python3"},
        "type": short["type"],
        "cell": ref,
        "data": short.get("data") or {},
    }
    try:
        return validate_event(event)
    except EventError as error:
        raise ScenarioError(f"{where}: {error}") from None


def _text(raw: dict[str, Any], name: str, where: str | None = None) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{where or name}: a text")
    return value
