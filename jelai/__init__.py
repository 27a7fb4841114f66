"""jelai: notebook telemetry, an Ollama tutor and class insight for JupyterLab.

Start here: `app.py` loads the server extension (configuration, store,
routes); `routes.py` maps `/jelai/*` onto thin handlers; the logic lives in
`store.py` (events in SQLite), `events.py` (validation against the JSON
Schemas in `schemas/`) and `ollama_proxy.py` (the model server proxy).
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
