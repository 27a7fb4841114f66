"""A course on this machine: JupyterHub with the jelai service, two students and
an instructor, on loopback. Started by `bash scripts/demo.sh --hub`.

Everything lives in `.demo/hub/` at the repository's root, or in
$JELAI_DEMO_STATE (the hub's database, the service's store and
pseudonymisation key, each user's home with a copy of `demo/`); remove the
folder (or start with `scripts/demo.sh --hub --fresh`) to start again. Every
account's password is $JELAI_DEMO_PASSWORD (default `jelai-demo`).

People open http://127.0.0.1:$JELAI_DEMO_PORT (default 8000). The hub's API,
the proxy's API and the service listen on $JELAI_DEMO_HUB_API_PORT,
$JELAI_DEMO_PROXY_API_PORT and $JELAI_DEMO_SERVICE_PORT, each a free port when
unset. The model server is the one of the service's config file
$JELAI_DEMO_SERVICE_CONFIG (written by scripts/demo.sh), else $OLLAMA_HOST
(default 127.0.0.1:11434), known to the service alone.
"""

import os
import shutil
import socket
import sys
from pathlib import Path

from jelai.service.hub_config import add_jelai_service

c = get_config()  # noqa: F821

REPO = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("JELAI_DEMO_STATE") or REPO / ".demo" / "hub")
STATE.mkdir(parents=True, exist_ok=True)
STUDENTS, INSTRUCTOR = ["ana", "bob"], "teacher"


def port(variable: str) -> int:
    """The port $variable names, else a free one on loopback, so that the demo
    does not collide with another hub on this machine."""
    if os.environ.get(variable):
        return int(os.environ[variable])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The address people open; the others are the hub's, the proxy's and the service's own.
PUBLIC_PORT = int(os.environ.get("JELAI_DEMO_PORT") or 8000)
HUB_API_PORT = port("JELAI_DEMO_HUB_API_PORT")
PROXY_API_PORT = port("JELAI_DEMO_PROXY_API_PORT")
SERVICE_PORT = port("JELAI_DEMO_SERVICE_PORT")
MODEL_SERVER = os.environ.get("OLLAMA_HOST", "").strip() or "http://127.0.0.1:11434"
if "://" not in MODEL_SERVER:
    MODEL_SERVER = f"http://{MODEL_SERVER}"

c.JupyterHub.bind_url = f"http://127.0.0.1:{PUBLIC_PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_API_PORT}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.default_url = "/hub/home"
c.ConfigurableHTTPProxy.command = [
    str(REPO / "tests" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"

# Who logs in: three accounts with one password, and who teaches.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get("JELAI_DEMO_PASSWORD", "jelai-demo")
c.Authenticator.allowed_users = {*STUDENTS, INSTRUCTOR}
c.JupyterHub.load_groups = {"instructors": {"users": [INSTRUCTOR]}}

# The service: the course's record, its class view and its model gateway.
add_jelai_service(
    c,
    url=f"http://127.0.0.1:{SERVICE_PORT}",
    command=[
        sys.executable,
        "-m",
        "jelai.cli",
        "service",
        f"--JelaiService.store_url=sqlite:///{STATE / 'service' / 'events.sqlite3'}",
        f"--JelaiService.export_key_file={STATE / 'service' / 'export.key'}",
        # The model server scripts/demo.sh chose, else $OLLAMA_HOST.
        *(
            [f"--config={os.environ['JELAI_DEMO_SERVICE_CONFIG']}"]
            if os.environ.get("JELAI_DEMO_SERVICE_CONFIG")
            else [f"--JelaiTutor.ollama_url={MODEL_SERVER}"]
        ),
    ],
)

# Each user's server: a local process in a home folder of its own, relaying
# to the service, with no model server address and no course settings.
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab/tree/exercise-1-basket.ipynb"
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "VIRTUAL_ENV"]


def copy_the_exercise(spawner) -> None:
    """A user's first start gets their own copy of the demo notebooks."""
    home = STATE / "home" / spawner.user.name
    if not home.exists():
        shutil.copytree(REPO / "demo", home)


c.Spawner.pre_spawn_hook = copy_the_exercise
