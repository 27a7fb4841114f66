"""jelai: notebook telemetry, a model tutor and class insight for JupyterLab.

The package has one folder per part:

- `record/`: the event vocabulary, validation, times and recording policy;
- `store/`: the event store on SQLAlchemy (SQLite or PostgreSQL);
- `gateway/`: the model gateway (what reaches a model server and back);
- `insight/`: analytics and the research export;
- `web/`: HTTP pieces both servers share;
- `server/`: the Jupyter server extension (standalone, or relaying in hub mode);
- `service/`: the JupyterHub service that holds a course's authority.

`config.py` holds the settings (`c.Jelai*`), `errors.py` the one error every
endpoint answers with and `cli.py` the `jelai` command.
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jelai"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jelai.server"}]


__all__ = ["__version__"]
