"""The course's jelai settings, for every single-user server of the hub.

The Dockerfile copies this file to /usr/local/etc/jupyter/, beside the
docker-stacks settings in /etc/jupyter/. What each setting means: the
Configuration table of jelai's README. jupyterhub_config.py decides per user
what is mounted under /srv/jelai:

- a student's container sees only their own folder of the `jelai-data` volume,
  read-write, at /srv/jelai/<user>;
- an instructor's container sees the whole volume read-only at /srv/jelai,
  and $JELAI_CLASS_DATA_DIR (read by `c.Jelai.class_data_dir`) says so.
"""

import os

c = get_config()  # noqa: F821

# Where this server's own events go.
if os.environ.get("JELAI_CLASS_DATA_DIR"):
    # An instructor: /srv/jelai is read-only here, so their own activity stays
    # in the Jupyter data folder of their home volume (jelai's default) and
    # never mixes with the students' data.
    pass
else:
    # `{username}` is the JupyterHub user, as the hub names the folder.
    c.Jelai.data_dir = "/srv/jelai/{username}"

# Who sees the class view: the members of this JupyterHub group (managed in
# the hub's admin page, or `load_groups` in jupyterhub_config.py).
c.Jelai.instructor_groups = ["instructors"]

# Telemetry: what is recorded (docs/events.md lists every event type).
c.JelaiTelemetry.log_clipboard = False  # record only how much was pasted

# The tutor. The compose file's Ollama, unless $OLLAMA_HOST points elsewhere
# (a GPU machine behind nginx: see nginx.conf and $JELAI_OLLAMA_TOKEN).
if not os.environ.get("OLLAMA_HOST"):
    c.JelaiTutor.ollama_url = "http://ollama:11434"
token = os.environ.get("JELAI_OLLAMA_TOKEN")
if token:
    c.JelaiTutor.headers = {"Authorization": f"Bearer {token}"}
c.JelaiTutor.models = ["llama3.1:8b", "qwen2.5-coder:7b"]
c.JelaiTutor.default_model = "llama3.1:8b"
c.JelaiTutor.mode = "tutor"  # hints and questions, no complete solutions
c.JelaiTutor.system_prompt = (
    "The students are first-year undergraduates learning data analysis with pandas."
)
c.JelaiTutor.learning_objectives = [
    "Load a CSV file into a DataFrame and inspect it.",
    "Select, filter and group rows to answer a question about the data.",
]
