"""Settings instructors and admins give in `jupyter_server_config.py`.

c.Jelai.data_dir = "/srv/jelai"
c.JelaiTelemetry.log_clipboard = False
c.JelaiTutor.ollama_url = "http://ollama:11434"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from sqlalchemy.exc import ArgumentError
from traitlets import Bool, Dict, Enum, Float, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

from .gateway.context_window import DEFAULT_CONTEXT_WINDOW, ContextFit, fit_context
from .gateway.upstreams import parse_upstreams
from .insight.sources import STORE_FILE, user_dir_name
from .server.identity import server_user
from .store import store_url


class Jelai(Configurable):
    """Where jelai keeps its data, and who sees the class."""

    data_dir = Unicode(
        help=(
            "Folder of the event store (SQLite). Defaults to `jelai` in the "
            "Jupyter data directory, outside the notebook folder so students "
            "cannot edit it from JupyterLab. `{username}` is replaced by the "
            "server's user (the JupyterHub user, else the account running the "
            "server): '/srv/jelai/{username}' gives each student a folder."
        ),
    ).tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(Path(jupyter_data_dir()) / "jelai")

    @validate("data_dir")
    def _fill_in_username(self, proposal: dict) -> str:
        value = str(proposal["value"])
        if "{username}" in value:
            value = value.replace("{username}", user_dir_name(server_user()))
        return value

    store_url = Unicode(
        help=(
            "Where events are stored, as a SQLAlchemy database URL. Empty (the "
            "default) means the SQLite file `events.sqlite3` in data_dir; a "
            "course's service uses PostgreSQL, e.g. "
            "'postgresql://jelai:secret@db.example.org/jelai' (driver: psycopg 3, "
            "`pip install jelai[postgresql]`). The schema is created and migrated "
            "when the store is first used."
        ),
    ).tag(config=True)

    @validate("store_url")
    def _check_store_url(self, proposal: dict) -> str:
        value = str(proposal["value"]).strip()
        if not value:
            return value
        try:
            if "://" not in value:
                raise ArgumentError("a URL such as sqlite:////srv/jelai/events.sqlite3")
            store_url(value)
        except ArgumentError as error:
            raise TraitError(f"c.Jelai.store_url is not a database URL: {error}") from None
        return value

    def store_location(self) -> str:
        """The store's URL, or the path of its SQLite file in data_dir."""
        return self.store_url or str(Path(self.data_dir) / STORE_FILE)

    service_url = Unicode(
        help=(
            "Hub mode: the URL of the course's jelai service (`jelai service`, a "
            "JupyterHub service), e.g. 'http://jelai-service:10101/services/jelai/'. "
            "This server then stores nothing of its own and relays events and "
            "insight to it with its hub token. Defaults to $JELAI_SERVICE_URL; "
            "empty means standalone: the store is in data_dir."
        ),
    ).tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("JELAI_SERVICE_URL", "").strip()

    instructors = List(
        Unicode(),
        help="User names who may see the class view and export the class's data.",
    ).tag(config=True)
    instructor_groups = List(
        Unicode(),
        help="JupyterHub groups whose members may see the class view (as `instructors`).",
    ).tag(config=True)
    idle_seconds = Float(
        300.0,
        min=60.0,
        help=(
            "Gaps between a student's events longer than this (seconds, at least "
            "60) do not count as active time."
        ),
    ).tag(config=True)


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
        2000,
        help="Longest text kept in one field; longer text keeps its beginning and its end,"
        " a marker between them says how many characters were left out.",
    ).tag(config=True)
    max_outputs = Int(
        5,
        help="Most outputs kept per execute event: the first and the last ones, with a mark"
        " saying how many were left out.",
    ).tag(config=True)
    max_batch_events = Int(500, help="Most events accepted in one request.").tag(config=True)
    max_body_bytes = Int(4 * 1024 * 1024, help="Largest events request accepted, in bytes.").tag(
        config=True
    )


def telemetry_public_config(telemetry: JelaiTelemetry) -> dict[str, Any]:
    """What the browser needs to apply the same policy before sending."""
    return {
        "enabled": telemetry.enabled,
        "event_types": None if telemetry.event_types is None else list(telemetry.event_types),
        "log_source": telemetry.log_source,
        "log_outputs": telemetry.log_outputs,
        "log_clipboard": telemetry.log_clipboard,
        "max_text_length": telemetry.max_text_length,
        "max_outputs": telemetry.max_outputs,
    }


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

    upstreams = List(
        Dict(),
        help=(
            "The model servers, when there are several or one is OpenAI-compatible: "
            "[{'url': 'http://gpu1:11434'}, {'url': 'http://vllm:8000/v1', 'api': 'openai', "
            "'models': ['Qwen/Qwen2.5-7B-Instruct'], 'api_key': '...', 'max_concurrent': 8}]. "
            "api is 'ollama' (the default) or 'openai' (/v1/chat/completions; a url "
            "without a path gets /v1); models lists what the server serves (empty: any "
            "model); max_concurrent caps its generations in flight (0: no cap); headers "
            "adds headers for it alone; name labels it in what students can read (errors, "
            "tutor.queued events: 'Model server <name>', by default its place in the list), "
            "which never holds its url. Requests are spread over the servers of a model "
            "and one that fails is left out for a while (see the README). Empty (the "
            "default) means one Ollama server at ollama_url."
        ),
    ).tag(config=True)

    @validate("upstreams")
    def _check_upstreams(self, proposal: dict) -> list:
        try:
            parse_upstreams(proposal["value"])
        except ValueError as error:
            raise TraitError(f"c.JelaiTutor.upstreams: {error}.") from None
        return proposal["value"]

    upstream_backoff = Float(
        10.0,
        min=0.0,
        help=(
            "Seconds a model server that could not be reached, answered 5xx or went silent "
            "is left out before it is tried again; doubled after each further failure in a "
            "row, up to 32 times. A model's only upstream is tried whatever its back-off."
        ),
    ).tag(config=True)

    models = List(
        Unicode(),
        help="Models students may use; empty allows every model the servers have.",
    ).tag(config=True)
    default_model = Unicode(
        "llama3.1:8b", help="Model selected when a student opens the tutor."
    ).tag(config=True)
    model_options = Dict(
        default_value={"temperature": 0.3},
        help=(
            "Ollama options merged into every chat request (temperature, top_p, seed...). "
            "The context window is `context_window`, always sent as num_ctx."
        ),
    ).tag(config=True)
    option_ranges = Dict(
        default_value={
            "temperature": [0.0, 1.5],
            "top_p": [0.0, 1.0],
            "top_k": [1, 100],
            "min_p": [0.0, 1.0],
            "repeat_penalty": [0.8, 2.0],
            "seed": [0, 2**31 - 1],
            "num_predict": [1, 4096],
        },
        help=(
            "The Ollama options a student's request may set, each with its range "
            "[lowest, highest], e.g. {'temperature': [0, 1.5]}. A request naming any "
            "other option (num_ctx, num_gpu, main_gpu, num_thread...) or a value out "
            "of range is refused with 400; the tutor's page sends none. "
            "model_options, the instructor's own, are not bound by them."
        ),
    ).tag(config=True)

    @validate("option_ranges")
    def _check_option_ranges(self, proposal: dict) -> dict[str, list[float]]:
        ranges = {}
        for name, bounds in dict(proposal["value"]).items():
            numbers = (
                isinstance(bounds, (list, tuple))
                and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
            )
            if not numbers or bounds[0] > bounds[1]:
                raise TraitError(
                    f"c.JelaiTutor.option_ranges[{name!r}] must be [lowest, highest], "
                    f"two numbers in order, not {bounds!r}."
                )
            if name == "num_ctx":
                raise TraitError(
                    "c.JelaiTutor.option_ranges cannot name num_ctx: the context window "
                    "is c.JelaiTutor.context_window."
                )
            ranges[str(name)] = [bounds[0], bounds[1]]
        return ranges

    context_window = Int(
        min=512,
        help=(
            "The context window requested from the model server for every chat request "
            "(Ollama's num_ctx option), in tokens. Defaults to a num_ctx given in "
            "model_options, else 8192. The context budget is capped to fit it."
        ),
    ).tag(config=True)

    @default("context_window")
    def _default_context_window(self) -> int:
        num_ctx = self.model_options.get("num_ctx")
        if isinstance(num_ctx, int) and not isinstance(num_ctx, bool) and num_ctx >= 512:
            return num_ctx
        return DEFAULT_CONTEXT_WINDOW

    def context_fit(self) -> ContextFit:
        """The window requested and the context budget used within it (see `context_window.py`)."""
        return fit_context(self.context_window, self.context_budget_tokens, self.model_options)

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
    notice = Unicode(
        "",
        help=(
            "A short plain-text note the tutor panel shows every student above the "
            "chat, e.g. that a small demonstration model answers and how to use a "
            "real one (`bash scripts/demo.sh` sets one when it starts its own model). "
            "Empty (the default) shows nothing."
        ),
    ).tag(config=True)

    # How the tutor teaches (see docs/pedagogy.md). A TUTOR.md next to the
    # notebook and the notebook's `jelai` metadata add to these.
    mode = Enum(
        ["tutor", "assistant"],
        default_value="tutor",
        help=(
            "tutor: Socratic hints and short snippets, no complete solutions, "
            "long code blocks trimmed from replies; assistant: free help."
        ),
    ).tag(config=True)
    system_prompt = Unicode(
        "",
        help=(
            "Course-wide instructions added to the tutor's system prompt by the "
            "model gateway; never sent to the browser."
        ),
    ).tag(config=True)
    learning_objectives = List(
        Unicode(),
        help=(
            "Course learning objectives the tutor works towards, one sentence each; "
            "added to the system prompt by the model gateway."
        ),
    ).tag(config=True)
    max_code_lines = Int(
        6,
        min=0,
        help="Longest code block (non-blank lines) a reply keeps in tutor mode.",
    ).tag(config=True)
    show_context = Bool(
        True,
        help=(
            "Let students open the 'what the tutor sees' view of the exact "
            "messages sent to the model."
        ),
    ).tag(config=True)
    context_budget_tokens = Int(
        6000,
        min=500,
        help=(
            "Token budget of the messages sent to the model. It is capped at three "
            "quarters of context_window, leaving the rest for the reply (6000 fits 8192)."
        ),
    ).tag(config=True)


def tutor_public_config(tutor: JelaiTutor) -> dict[str, Any]:
    """The tutor settings the browser may see: never the model server's URL or headers.

    `context_budget_tokens` is the budget used (capped to fit `context_window`);
    `context_notes` say in words where the settings disagree.
    """
    fit = tutor.context_fit()
    return {
        "default_model": tutor.default_model,
        "models": list(tutor.models),
        "context_window": fit.window,
        "context_budget_tokens": fit.budget,
        "configured_context_budget_tokens": fit.configured_budget,
        "context_notes": fit.notes,
        "notice": tutor.notice,
    }


def tutor_course_config(tutor: JelaiTutor) -> dict[str, Any]:
    """The course's tutor settings the browser may see; the budget is the one
    used in the window. The course's instructions (`system_prompt`,
    `learning_objectives`) stay with the gateway, which puts them in the prompt."""
    fit = tutor.context_fit()
    return {
        "mode": tutor.mode,
        "max_code_lines": tutor.max_code_lines,
        "show_context": tutor.show_context,
        "context_budget_tokens": fit.budget,
        "context_window": fit.window,
        "context_notes": fit.notes,
    }
