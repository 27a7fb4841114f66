"""jelai: notebook telemetry, an Ollama tutor and class insight for JupyterLab.

Start here: `app.py` loads the server extension (configuration, store,
routes) and `routes.py` maps every `/jelai/*` route onto a thin handler
(`handlers.py`, `proxy_handler.py`, `tutor_handlers.py`,
`insight_handlers.py`, and in hub mode `relay_handler.py`). The logic lives
in modules that know nothing of tornado: `events.py` (validation against
`schemas/`), `policy.py` (the instructor's recording policy), `ingest.py`
(what a posted batch becomes), `store/` (the event store on SQLAlchemy),
`ollama_proxy.py` (the model server proxy), `instructions.py` (TUTOR.md),
`analytics.py` (class summaries) and `export.py` (the research export behind
`cli.py`). `service/` is the JupyterHub service of a course.
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jelai"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jelai"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # Imported here so `import jelai` (the CLI, the data dictionary) stays light.
    from .app import load_jupyter_server_extension

    load_jupyter_server_extension(serverapp)


__all__ = ["__version__"]
