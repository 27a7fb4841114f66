"""The JupyterHub of the end-to-end test: local processes on loopback ports.

`test_hub.py` writes the run's ports, folders and password to the JSON file
named by $JELAI_HUB_TEST_SETTINGS, starts configurable-http-proxy itself and
then `jupyterhub -f` on this file. Every single-user server loads the example
course settings (`examples/hub/jupyter_server_config.py`); the command line
below then puts its store in `<data>/<user>`, as the Docker example's volume
does in `/srv/jelai/<user>`.
"""

import json
import os
import sys
from pathlib import Path

from jelai.service.hub_config import add_jelai_service

c = get_config()  # noqa: F821

settings = json.loads(Path(os.environ["JELAI_HUB_TEST_SETTINGS"]).read_text())
state = Path(settings["state_dir"])
data = Path(settings["data_dir"])

c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['proxy_port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
# The test runs the proxy (its token in $CONFIGPROXY_AUTH_TOKEN), so it can always stop it.
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = set(settings["users"])
c.JupyterHub.load_groups = {"instructors": {"users": settings["instructors"]}}

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
# Servers stay in the hub's process group, so stopping the group stops them all
# (and the hub need not stop them one by one on its way out).
c.LocalProcessSpawner.popen_kwargs = {"start_new_session": False}
c.JupyterHub.cleanup_servers = False
c.Spawner.cmd = [settings["singleuser"]]
c.Spawner.args = ["--allow-root", f"--Jelai.data_dir={data}/{{username}}"]
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": settings["course_config_dir"],
    # The example settings honour $OLLAMA_HOST: here, the test's fake Ollama.
    "OLLAMA_HOST": settings["ollama_url"],
}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60


def read_class_if_instructor(spawner) -> None:
    """Instructors' servers are told where the class is; students' never are.

    The Docker example does the same and also mounts the folder read-only.
    """
    groups = {group.name for group in spawner.user.groups}
    # A new dict: the configured one is shared by every user's spawner.
    environment = {k: v for k, v in spawner.environment.items() if k != "JELAI_CLASS_DATA_DIR"}
    if "instructors" in groups:
        environment["JELAI_CLASS_DATA_DIR"] = str(data)
    spawner.environment = environment


c.Spawner.pre_spawn_hook = read_class_if_instructor


if settings.get("service"):
    # Course mode: the jelai service keeps the record; students' servers relay,
    # with no course configuration file and nothing of the model server's.
    service = settings["service"]
    c.Spawner.environment = {"JUPYTER_CONFIG_PATH": service["user_config_dir"]}
    add_jelai_service(
        c,
        url=f"http://127.0.0.1:{service['port']}",
        command=[
            sys.executable,
            "-m",
            "jelai.cli",
            "service",
            f"--JelaiService.store_url={service['store_url']}",
            "--JelaiService.instructor_groups=['instructors']",
            # The service's policy, not the servers', decides what is kept.
            "--JelaiTelemetry.max_text_length=20",
            # Only the service knows where the model server is.
            f"--JelaiTutor.ollama_url={settings['ollama_url']}",
            f"--JelaiTutor.models={settings['models']!r}",
            # The course layer of the tutor's instructions is the service's too.
            "--JelaiTutor.system_prompt=Course prompt from the service.",
        ],
    )
    # A teaching assistant reads the class by a custom scope, not the group.
    c.JupyterHub.load_roles.append(
        {
            "name": "teaching-assistant",
            "scopes": ["custom:jelai:read-class"],
            "users": service["assistants"],
        }
    )
