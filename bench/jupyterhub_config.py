"""The JupyterHub of the course-service benchmark (`service_ingest.py`).

`tests/hub/hubtools.running_hub` writes the run's ports, folder, password
and users to the JSON file named by $JELAI_HUB_TEST_SETTINGS, starts
configurable-http-proxy and then `jupyterhub -f` on this file. jelai is an
external service here: the benchmark starts `jelai service` itself, once
per store, with the token and URL written below. No user server is ever
started; the benchmark plays the users' servers.
"""

import json
import os
from pathlib import Path

from jelai.service.hub_config import add_jelai_service

c = get_config()  # noqa: F821

settings = json.loads(Path(os.environ["JELAI_HUB_TEST_SETTINGS"]).read_text())
state = Path(settings["state_dir"])

c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['proxy_port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = set(settings["users"])

add_jelai_service(c, url=settings["service"]["url"], api_token=settings["service"]["api_token"])
