"""The JupyterHub of the end-to-end test: local processes on loopback ports.

`hubtools.running_hub` writes the run's ports, folders and password to the
JSON file named by $JELAI_HUB_TEST_SETTINGS, starts configurable-http-proxy
itself and then `jupyterhub -f` on this file. The jelai service runs as a
hub-managed service; every user's server relays to it, with no course
configuration file and nothing of the model server's. Each server is still
given a data folder of its own (`<data>/<user>`), so the tests can show that
nothing is written there.

The proxy, the hub and the service listen on the settings' `host`. With
`netns` in the settings (`tests/hub/netns.py`), every user's server runs in
that network namespace and listens on its side of the veth pair; `host` is
then the host's side, the one address the servers can reach. With
`service_config`, the service reads its tutor settings (the model servers
and their keys) from that file instead of the command line.
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
service = settings["service"]
host = settings.get("host", "127.0.0.1")
netns = settings.get("netns")

c.JupyterHub.bind_url = f"http://{host}:{settings['proxy_port']}"
c.JupyterHub.hub_bind_url = f"http://{host}:{settings['hub_port']}"
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
if netns:
    c.Spawner.cmd = ["ip", "netns", "exec", netns["name"], settings["singleuser"]]
    c.Spawner.ip = netns["address"]
else:
    c.Spawner.cmd = [settings["singleuser"]]
c.Spawner.args = ["--allow-root", f"--Jelai.data_dir={data}/{{username}}"]
c.Spawner.environment = {"JUPYTER_CONFIG_PATH": service["user_config_dir"]}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60

# Only the service knows where the model server is.
if settings.get("service_config"):
    tutor = [f"--config={settings['service_config']}"]
else:
    tutor = [f"--JelaiTutor.ollama_url={settings['ollama_url']}"]
add_jelai_service(
    c,
    url=f"http://{host}:{service['port']}",
    command=[
        sys.executable,
        "-m",
        "jelai.cli",
        "service",
        f"--JelaiService.store_url={service['store_url']}",
        "--JelaiService.instructor_groups=['instructors']",
        # The service's policy, not the servers', decides what is kept.
        "--JelaiTelemetry.max_text_length=20",
        *tutor,
        f"--JelaiTutor.models={settings['models']!r}",
        # The course layer of the tutor's instructions is the service's too,
        # and so is the course folder with the instructor-only layer.
        "--JelaiTutor.system_prompt=Course prompt from the service.",
        *(
            [f"--JelaiService.course_dir={service['course_dir']}"]
            if "course_dir" in service
            else []
        ),
        # A test's own settings (quotas, the queue...).
        *service.get("args", []),
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
