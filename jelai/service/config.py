"""Settings of the hub service, given in `jelai_service_config.py`.

c.JelaiService.store_url = "postgresql+psycopg://jelai@db/jelai"
c.JelaiService.instructor_groups = ["instructors"]
c.JelaiTelemetry.log_clipboard = False   # the recording policy, as in a server
c.JelaiService.max_concurrent_generations = 4
c.JelaiService.student_questions_per_hour = 30
"""

from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from traitlets import Bool, Float, Int, List, Unicode, default
from traitlets.config import Configurable

# The JupyterHub 5 custom scope an instructor's role may hold instead of a group.
READ_CLASS_SCOPE = "custom:jelai:read-class"


class JelaiService(Configurable):
    """Where the course's record is kept, who reads the class, ingest limits,
    the tutor's quotas and its queue."""

    store_url = Unicode(
        help=(
            "The course's event store, as a SQLAlchemy URL: "
            "'postgresql+psycopg://jelai:...@db/jelai' for a course, or "
            "'sqlite:////srv/jelai/events.sqlite3'. Defaults to "
            "`jelai-service/events.sqlite3` in the Jupyter data directory of "
            "the account running the service, which students cannot reach."
        ),
    ).tag(config=True)

    @default("store_url")
    def _default_store_url(self) -> str:
        path = Path(jupyter_data_dir()) / "jelai-service" / "events.sqlite3"
        return f"sqlite:///{path}"

    export_key_file = Unicode(
        help=(
            "The key of instructors' pseudonymised downloads (`export?pseudonymise=1`; "
            "a student's own gets a key of its own each time), made "
            "if missing. Defaults to `jelai-service/export.key` in the Jupyter "
            "data directory of the account running the service. `jelai export "
            "--key-file` with the same key gives the same pseudonyms."
        ),
    ).tag(config=True)

    @default("export_key_file")
    def _default_export_key_file(self) -> str:
        return str(Path(jupyter_data_dir()) / "jelai-service" / "export.key")

    course_dir = Unicode(
        "",
        help=(
            "The course folder, read by the service alone: one folder per "
            "assignment with the tutor's instructions (TUTOR.md) and a reference "
            "solution, nbgrader's source/<assignment>/ understood (see docs/course.md "
            "for the layout and how a notebook finds its assignment). Its text "
            "goes into the model's prompt, never to a student. Empty: none."
        ),
    ).tag(config=True)
    reference_in_prompt = Bool(
        True,
        help=(
            "Give the model the assignment's reference solution (from course_dir), "
            "so that it can tell a right approach from a wrong one; it is told "
            "never to show it."
        ),
    ).tag(config=True)
    instructor_groups = List(
        Unicode(),
        default_value=["instructors"],
        help=(
            "JupyterHub groups whose members read the class. A user whose "
            f"token holds the scope {READ_CLASS_SCOPE!r} reads it too."
        ),
    ).tag(config=True)
    instructors = List(
        Unicode(),
        help="Hub user names who read the class, besides the groups.",
    ).tag(config=True)
    idle_seconds = Float(
        300.0,
        min=60.0,
        help="Gaps between a student's events longer than this (seconds) are not active time.",
    ).tag(config=True)
    max_events_per_minute = Int(
        1200,
        min=1,
        help=(
            "Most events one user may store in any 60 seconds; a batch that "
            "would pass it is refused whole with 429."
        ),
    ).tag(config=True)
    max_bytes_per_day = Int(
        64 * 1024 * 1024,
        min=1,
        help=(
            "Most bytes of event batches one user may send in a UTC day; a batch "
            "that would pass it is refused whole with 429."
        ),
    ).tag(config=True)

    # The tutor's share of the model server (see `gateway/admission.py`).
    max_concurrent_generations = Int(
        4,
        min=1,
        help=(
            "Most replies a model server generates at once, for a server whose "
            "c.JelaiTutor.upstreams entry sets no max_concurrent (or the one "
            "c.JelaiTutor.ollama_url). Each model has its own line: its servers' "
            "slots added up; further questions wait their turn, students taking "
            "turns (round robin), and each sees their place in the line. Set it to "
            "what the model server runs in parallel (Ollama's OLLAMA_NUM_PARALLEL): "
            "beyond that the server queues them itself, first come first served."
        ),
    ).tag(config=True)
    max_generations_per_student = Int(
        2,
        min=0,
        help=(
            "Most questions of one student (or of a script with their token) "
            "being answered at once, over every model; their further questions "
            "wait while other students are served. 0 for no limit."
        ),
    ).tag(config=True)
    student_questions_per_hour = Int(
        0,
        min=0,
        help=(
            "Most questions to the tutor one student may ask in any 60 minutes; "
            "0 for no limit. A question past it is refused (429) with the time "
            "when asking works again."
        ),
    ).tag(config=True)
    student_tokens_per_day = Int(
        0,
        min=0,
        help=(
            "Most tokens (prompt and reply, as the model server counts them) one "
            "student may use in a UTC day; 0 for no limit. The reply that passes "
            "it is finished; the next question is refused."
        ),
    ).tag(config=True)
    course_questions_per_hour = Int(
        0,
        min=0,
        help="Most questions the whole class may ask in any 60 minutes; 0 for no limit.",
    ).tag(config=True)
    course_tokens_per_day = Int(
        0,
        min=0,
        help="Most tokens the whole class may use in a UTC day; 0 for no limit.",
    ).tag(config=True)
    quota_exempt_instructors = Bool(
        True,
        help=(
            "Instructors are never refused by a quota. Their questions and tokens "
            "still count towards the course's totals."
        ),
    ).tag(config=True)
