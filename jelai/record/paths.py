"""Notebook paths as the server's contents manager names them.

jupyter-collaboration before 4.0 served collaborative documents from a
JupyterLab drive named `RTC`, so a notebook opened collaboratively reaches
extensions as `RTC:<path>` (`RTC:course/lab1.ipynb` for `course/lab1.ipynb`);
releases from 4.0 on, on JupyterLab 4.4's content providers, give the plain
path. jelai stores, looks up and filters by the plain path: every path that
reaches the server from a browser or a command (events posted, event
queries, the tutor's instructions, the model proxy's `X-Jelai-Notebook`,
the analytics and export filters) goes through `plain_path` once, where it
arrives.
"""

from __future__ import annotations

from typing import Any

COLLABORATIVE_DRIVE = "RTC:"
# The event fields that hold a notebook path: the envelope's, and the path a
# renamed notebook had before.
_DATA_PATHS = {"notebook.rename": ("from",)}


def plain_path(path: str) -> str:
    """`path` without the collaborative drive's prefix (`RTC:a.ipynb` -> `a.ipynb`)."""
    while path.startswith(COLLABORATIVE_DRIVE):
        path = path[len(COLLABORATIVE_DRIVE) :]
    return path


def plain_notebook(path: str | None) -> str | None:
    """Like `plain_path`, keeping None (no notebook) and '' as they are; a path
    that is only the prefix (`RTC:`) names no notebook: None."""
    return (plain_path(path) or None) if path else path


def plain_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event with every notebook path it holds plain; the same object when
    none had a prefix, else a copy (the posted event is never changed)."""
    fields = _DATA_PATHS.get(event.get("type", ""), ())
    data = event.get("data")
    changed_data = {
        name: plain_path(data[name])
        for name in fields
        if isinstance(data, dict) and isinstance(data.get(name), str)
    }
    notebook = event.get("notebook")
    plain = plain_notebook(notebook) if isinstance(notebook, str) else notebook
    if plain == notebook and all(data[k] == v for k, v in changed_data.items()):
        return event
    result = {**event, "notebook": plain}
    if changed_data:
        result["data"] = {**data, **changed_data}
    return result
