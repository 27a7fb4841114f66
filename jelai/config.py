"""Settings instructors and admins give in `jupyter_server_config.py`.

c.Jelai.data_dir = "/srv/jelai"
c.JelaiTelemetry.log_clipboard = False
c.JelaiTutor.ollama_url = "http://ollama:11434"
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from traitlets import Bool, Dict, Float, Int, List, Unicode, default
from traitlets.config import Configurable


class Jelai(Configurable):
    """Where jelai keeps its data."""

    data_dir = Unicode(
        help=(
            "Folder of the event store (SQLite). Defaults to `jelai` in the "
            "Jupyter data directory, outside the notebook folder so students "
            "cannot edit it from JupyterLab."
        ),
    ).tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(Path(jupyter_data_dir()) / "jelai")


class JelaiTelemetry(Configurable):
    """What telemetry records."""

    enabled = Bool(True, help="Record notebook activity at all.").tag(config=True)
    event_types = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        help=(
            "Event types to record, e.g. ['cell.execute', 'notebook.open']. "
            "None records every type."
        ),
    ).tag(config=True)
    log_source = Bool(True, help="Record cell source in edit and execute events.").tag(config=True)
    log_outputs = Bool(True, help="Record cell outputs (text only) in execute events.").tag(
        config=True
    )
    log_clipboard = Bool(
        True, help="Record the copied, cut or pasted text (its size is always recorded)."
    ).tag(config=True)
    max_text_length = Int(
        2000, help="Longest text kept in one field; longer text is cut and marked."
    ).tag(config=True)
    max_outputs = Int(5, help="Most outputs kept per execute event.").tag(config=True)
    max_batch_events = Int(500, help="Most events accepted in one request.").tag(config=True)
    max_body_bytes = Int(4 * 1024 * 1024, help="Largest events request accepted, in bytes.").tag(
        config=True
    )


class JelaiTutor(Configurable):
    """How the tutor reaches the model server."""

    ollama_url = Unicode(
        help=(
            "Base URL of the Ollama server. Defaults to $OLLAMA_HOST, else "
            "http://127.0.0.1:11434. Never sent to the browser's client."
        ),
    ).tag(config=True)

    @default("ollama_url")
    def _default_ollama_url(self) -> str:
        host = os.environ.get("OLLAMA_HOST", "").strip()
        if not host:
            return "http://127.0.0.1:11434"
        if "://" not in host:
            host = f"http://{host}"
        return host.rstrip("/")

    models = List(
        Unicode(),
        help="Models students may use; empty allows every model the server has.",
    ).tag(config=True)
    default_model = Unicode(
        "llama3.1:8b", help="Model selected when a student opens the tutor."
    ).tag(config=True)
    model_options = Dict(
        default_value={"temperature": 0.3, "num_ctx": 8192},
        help="Ollama options merged into every chat request (temperature, num_ctx...).",
    ).tag(config=True)
    connect_timeout = Float(5.0, help="Seconds to wait for the model server to accept.").tag(
        config=True
    )
    read_timeout = Float(
        300.0, help="Seconds to wait between two chunks of a reply before giving up."
    ).tag(config=True)
    headers = Dict(
        Unicode(),
        default_value={},
        help=(
            "Extra headers sent to the model server, e.g. "
            "{'Authorization': 'Bearer ...'} for an Ollama behind a reverse proxy."
        ),
    ).tag(config=True)
    max_request_bytes = Int(
        1024 * 1024, help="Largest request body the proxy forwards, in bytes."
    ).tag(config=True)
