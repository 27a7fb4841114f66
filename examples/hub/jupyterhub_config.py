"""JupyterHub for a course with jelai: one Docker container per user.

The jelai part is `mount_jelai_data` at the bottom: a student's container
gets only their own folder of the `jelai-data` volume, read-write, at
/srv/jelai/<user>; an instructor's gets the whole volume read-only at
/srv/jelai. README.md explains the whole setup and its trust model.
"""

import os
from urllib.parse import quote

c = get_config()  # noqa: F821

# -- the hub -------------------------------------------------------------------
# nginx on the host terminates TLS and forwards to port 8000 (see nginx.conf).
c.JupyterHub.bind_url = "http://:8000"
# The containers reach the hub by its compose service name.
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
# Members of this group see the class in jelai's dashboard (the group name is
# `c.Jelai.instructor_groups` in jupyter_server_config.py). Add or remove
# instructors in the hub's admin page; this only adds at start-up.
INSTRUCTORS_GROUP = "instructors"
c.JupyterHub.load_groups = {
    INSTRUCTORS_GROUP: {
        "users": [u for u in os.environ.get("JELAI_INSTRUCTORS", "").split(",") if u],
    },
}

# -- the user containers -------------------------------------------------------
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = os.environ.get("DOCKER_NOTEBOOK_IMAGE", "jelai-notebook")
c.DockerSpawner.network_name = os.environ.get("DOCKER_NETWORK_NAME", "jelai")
c.DockerSpawner.remove = True  # containers go; volumes stay
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
# Each user's notebooks, in a named volume of their own.
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
# A remote Ollama (see nginx.conf): its URL and token, for every user's server.
c.DockerSpawner.environment = {
    name: os.environ[name] for name in ("OLLAMA_HOST", "JELAI_OLLAMA_TOKEN") if os.environ.get(name)
}
c.Spawner.mem_limit = os.environ.get("JELAI_MEM_LIMIT", "2G")

# -- jelai's data ------------------------------------------------------------------
DATA_VOLUME = os.environ.get("JELAI_DATA_VOLUME", "jelai-data")
DATA_ROOT = "/srv/jelai"  # where the hub mounts the volume, and the containers see it
NB_UID, NB_GID = 1000, 100  # jovyan in the docker-stacks images


def data_folder(username: str) -> str:
    """The user's folder name on the volume: the same as jelai.classdata.user_dir_name."""
    name = quote(username, safe="@+=,")
    return name.replace(".", "%2E") if set(name) == {"."} else name


def create_data_folder(folder: str) -> None:
    """A student's folder on the volume, for jovyan: Docker mounts only one that exists."""
    path = os.path.join(DATA_ROOT, folder)
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chown(path, NB_UID, NB_GID)


def mount_jelai_data(spawner) -> None:
    """Students get their own folder read-write; instructors the whole class read-only."""
    groups = {group.name for group in spawner.user.groups}
    # New dicts: the configured ones are shared by every user's spawner.
    environment = {k: v for k, v in spawner.environment.items() if k != "JELAI_CLASS_DATA_DIR"}
    if INSTRUCTORS_GROUP in groups:
        spawner.mounts = [
            {"type": "volume", "source": DATA_VOLUME, "target": DATA_ROOT, "read_only": True}
        ]
        # jelai reads the class from here (c.Jelai.class_data_dir's default).
        environment["JELAI_CLASS_DATA_DIR"] = DATA_ROOT
    else:
        folder = data_folder(spawner.user.name)
        create_data_folder(folder)
        spawner.mounts = [
            {
                "type": "volume",
                "source": DATA_VOLUME,
                "subpath": folder,  # Docker Engine 26 or later
                "target": f"{DATA_ROOT}/{folder}",
                "read_only": False,
            }
        ]
    spawner.environment = environment


c.Spawner.pre_spawn_hook = mount_jelai_data

# -- idle servers (optional) ---------------------------------------------------
# Stops servers idle for an hour; data stays on the volumes. Remove to keep them.
c.JupyterHub.load_roles = [
    {
        "name": "jupyterhub-idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "jupyterhub-idle-culler",
        "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    }
]
