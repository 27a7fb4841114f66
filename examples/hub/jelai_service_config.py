"""The course's jelai settings, for the jelai service alone.

Mounted into the service's container at /etc/jelai/jelai_service_config.py
(docker-compose.yml; a ConfigMap on Kubernetes, examples/z2jh) and read by
`jelai service --config ...`. The users' servers have no copy: they relay to
the service, which applies this recording policy and alone talks to the
model server. What each setting means: the Configuration table of jelai's
README and docs/course.md.

From the environment of the service's container:
- $JELAI_STORE_URL: the store, e.g. postgresql+psycopg://jelai:<password>@postgres:5432/jelai
- $OLLAMA_HOST and $JELAI_OLLAMA_TOKEN (optional): a remote model server and its
  bearer token, instead of the `ollama` container.
"""

import os

c = get_config()  # noqa: F821

# -- the record ------------------------------------------------------------------
store_url = os.environ.get("JELAI_STORE_URL", "").strip()
if not store_url:
    raise ValueError("$JELAI_STORE_URL (the service's PostgreSQL database) is not set.")
c.JelaiService.store_url = store_url
# Who reads the class: the members of this JupyterHub group (managed in the
# hub's admin page), and whoever holds the scope custom:jelai:read-class.
c.JelaiService.instructor_groups = ["instructors"]
# Per student: at most this many events a minute and bytes a day (429 beyond).
c.JelaiService.max_events_per_minute = 1200
c.JelaiService.max_bytes_per_day = 64 * 1024 * 1024
# The tutor's share of the model server: at most this many replies at once
# (match Ollama's OLLAMA_NUM_PARALLEL; the rest wait in turns, told their
# place), and what one student may ask (429 beyond, saying when asking works
# again). Instructors are exempt.
c.JelaiService.max_concurrent_generations = 4
c.JelaiService.student_questions_per_hour = 30
c.JelaiService.student_tokens_per_day = 300_000

# -- what is recorded (docs/events.md lists every event type) ---------------------
c.JelaiTelemetry.log_clipboard = False  # record only how much was pasted

# -- the tutor -------------------------------------------------------------------
# The compose file's (or the cluster's) Ollama, unless $OLLAMA_HOST points
# elsewhere (a GPU machine behind nginx: see nginx.conf).
c.JelaiTutor.ollama_url = os.environ.get("OLLAMA_HOST", "").strip() or "http://ollama:11434"
token = os.environ.get("JELAI_OLLAMA_TOKEN", "").strip()
if token:
    c.JelaiTutor.headers = {"Authorization": f"Bearer {token}"}
c.JelaiTutor.models = ["llama3.1:8b", "qwen2.5-coder:7b"]
c.JelaiTutor.default_model = "llama3.1:8b"
c.JelaiTutor.mode = "tutor"  # hints and questions, no complete solutions
# The instructor-only course folder (docs/course.md, "The course folder"): per
# assignment, instructions and a reference solution no student reads. Mount it
# into this container only, read-only, e.g. ./course:/srv/course:ro.
# c.JelaiService.course_dir = "/srv/course"
c.JelaiTutor.system_prompt = (
    "The students are first-year undergraduates learning data analysis with pandas."
)
c.JelaiTutor.learning_objectives = [
    "Load a CSV file into a DataFrame and inspect it.",
    "Select, filter and group rows to answer a question about the data.",
]
