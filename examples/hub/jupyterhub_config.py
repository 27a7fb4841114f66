"""JupyterHub for a course with jelai: one Docker container per user.

The jelai part: the jelai service is an external hub service in its own
container (docker-compose.yml); every user may reach it, every user's server
gets a token that may reach it and tell it its owner's groups, and the
address where to relay ($JELAI_SERVICE_URL). The users' containers get
nothing else of jelai's: no course settings, no model server, no store.
docs/course.md explains the whole setup and its trust model.
"""

import os

c = get_config()  # noqa: F821

# -- the hub -------------------------------------------------------------------
# nginx on the host terminates TLS and forwards to port 8000 (see nginx.conf).
c.JupyterHub.bind_url = "http://:8000"
# The containers (and the jelai service) reach the hub by its compose name.
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_connect_ip = "jupyterhub"
c.JupyterHub.db_url = "sqlite:////data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/data/jupyterhub_cookie_secret"

# -- who logs in -----------------------------------------------------------------
# NativeAuthenticator: people sign up, an admin authorises them at /hub/authorize.
# Swap in your institution's login (oauthenticator, ltiauthenticator) as you like.
c.JupyterHub.authenticator_class = "native"
c.NativeAuthenticator.open_signup = False
c.Authenticator.allow_all = True  # everyone the admin has authorised
c.Authenticator.admin_users = set(os.environ.get("JUPYTERHUB_ADMINS", "admin").split(","))
# Members of this group read the class in jelai's dashboard
# (`c.JelaiService.instructor_groups` in jelai_service_config.py). Add or
# remove instructors in the hub's admin page; this only adds at start-up.
c.JupyterHub.load_groups = {
    "instructors": {
        "users": [u for u in os.environ.get("JELAI_INSTRUCTORS", "").split(",") if u],
    },
}

# -- the jelai service -----------------------------------------------------------
JELAI_SERVICE = "jelai"
JELAI_URL = "http://jelai-service:10101"  # the container's name and port (docker-compose.yml)
ACCESS_JELAI = f"access:services!service={JELAI_SERVICE}"
# A JupyterHub custom scope: whoever holds it reads the class, as instructors do.
READ_CLASS = "custom:jelai:read-class"

c.JupyterHub.custom_scopes = {
    READ_CLASS: {"description": "Read every student's jelai record of the course."},
}
c.JupyterHub.services = [
    {
        "name": JELAI_SERVICE,
        # The hub's proxy sends /services/jelai/ here.
        "url": JELAI_URL,
        # The same token is the service's $JUPYTERHUB_API_TOKEN (from .env).
        "api_token": os.environ["JELAI_SERVICE_API_TOKEN"],
        "oauth_no_confirm": True,
    },
    # Stops servers idle for an hour; notebooks stay on their volumes.
    {
        "name": "jupyterhub-idle-culler",
        "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    },
]
c.JupyterHub.load_roles = [
    # Every user may reach the service (it decides what each may do there).
    {"name": "user", "scopes": ["self", ACCESS_JELAI]},
    # The service lists the instructors' group, to leave them out of the class.
    {
        "name": "jelai-service",
        "scopes": ["read:groups!group=instructors"],
        "services": [JELAI_SERVICE],
    },
    # Who else reads the class: e.g. teaching assistants, named by a group.
    {"name": "jelai-class-reader", "scopes": [READ_CLASS], "groups": ["teaching-assistants"]},
    {
        "name": "jupyterhub-idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler"],
    },
]
# What each user's server token may do: report activity (JupyterHub's own
# need), reach the service, and tell it its owner's groups and, for those
# who hold it, the class-reading scope (JupyterHub leaves out of a token any
# scope its owner does not hold).
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "read:users:groups!user",
    ACCESS_JELAI,
    READ_CLASS,
]

# -- the user containers -------------------------------------------------------
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = os.environ.get("DOCKER_NOTEBOOK_IMAGE", "jelai-notebook")
# The users' network: the hub and the jelai service, not PostgreSQL or Ollama.
c.DockerSpawner.network_name = os.environ.get("DOCKER_NETWORK_NAME", "jelai-users")
c.DockerSpawner.remove = True  # containers go; volumes stay
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
# Each user's notebooks, in a named volume of their own.
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
# Hub mode: the server stores nothing and relays to the service.
c.DockerSpawner.environment = {
    "JELAI_SERVICE_URL": f"{JELAI_URL}/services/{JELAI_SERVICE}/",
}
c.Spawner.mem_limit = os.environ.get("JELAI_MEM_LIMIT", "2G")
