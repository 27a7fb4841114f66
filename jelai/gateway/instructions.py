"""Finds the assignment instructions (`TUTOR.md`) that apply to a notebook.

The nearest `TUTOR.md` wins: the one in the notebook's folder, else in its
parent, and so on up to the server root, never above it. Paths come from the
browser, so they are checked: relative, no `..`, and every candidate file must
resolve (symlinks followed) inside the root.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TUTOR_FILE = "TUTOR.md"
MAX_TUTOR_BYTES = 32 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class InstructionsPathError(ValueError):
    """A notebook path that could reach outside the server root."""


@dataclass(frozen=True)
class AssignmentInstructions:
    """A `TUTOR.md`: its path relative to the root (with `/`) and its text."""

    path: str
    text: str
    truncated: bool = False


def notebook_parts(notebook: str) -> tuple[str, ...]:
    """The components of a notebook path from the browser, or InstructionsPathError."""
    if not notebook or "\0" in notebook or "\\" in notebook:
        raise InstructionsPathError("The notebook path is empty or has forbidden characters.")
    path = PurePosixPath(notebook)
    if path.is_absolute() or notebook.startswith("~") or _DRIVE.match(notebook):
        raise InstructionsPathError("The notebook path must be relative to the server root.")
    parts = tuple(part for part in path.parts if part != ".")
    if ".." in parts:
        raise InstructionsPathError("The notebook path must not contain '..'.")
    if not parts:
        raise InstructionsPathError("The notebook path names no file.")
    return parts


def find_tutor_md(
    root: str | os.PathLike[str], notebook: str, max_bytes: int = MAX_TUTOR_BYTES
) -> AssignmentInstructions | None:
    """The nearest `TUTOR.md` from the notebook's folder up to `root`, or None.

    A candidate that is not a regular file, or that resolves outside the root
    (a symlink, or a folder symlinked elsewhere), is skipped. Text longer than
    `max_bytes` is cut and marked `truncated`.
    """
    folders = notebook_parts(notebook)[:-1]
    real_root = Path(root).expanduser().resolve()
    for depth in range(len(folders), -1, -1):
        relative = PurePosixPath(*folders[:depth], TUTOR_FILE)
        candidate = real_root.joinpath(*relative.parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, or a symlink loop
            continue
        if not _inside(resolved, real_root) or not resolved.is_file():
            continue
        with open(resolved, "rb") as handle:
            raw = handle.read(max_bytes + 1)
        truncated = len(raw) > max_bytes
        text = raw[:max_bytes].decode("utf-8", errors="replace")
        return AssignmentInstructions(path=str(relative), text=text, truncated=truncated)
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
