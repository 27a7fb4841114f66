"""What a hub needs to run the jelai service, in one call from `jupyterhub_config.py`.

    from jelai.service.hub_config import add_jelai_service
    add_jelai_service(c, url="http://127.0.0.1:10101",
                      command=["jelai", "service", "--config", "/etc/jelai/service.py"])

It registers the service (hub-managed with `command`, external without),
lets users reach it (`access:services!service=jelai` in the `user` role),
declares the instructors' custom scope (`custom:jelai:read-class`, to grant
in a role of your own), lets the service list the instructors' groups (so
their members are left out of the class view), gives each user's server a
token that may reach the service and tell it its owner's groups and that
scope, and tells each server where it is (`$JELAI_SERVICE_URL`). Scope names are JupyterHub's
(docs: "JupyterHub RBAC", "Services").
"""

from __future__ import annotations

from typing import Any

from .config import READ_CLASS_SCOPE

SERVICE_NAME = "jelai"
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
SERVICE_ROLE = f"{SERVICE_NAME}-service"
# What a user's server token may do: JupyterHub's own need (activity), and
# what the service needs to let it in and to know its owner (groups, and the
# read-class scope, which JupyterHub keeps only for owners who hold it).
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "read:users:groups!user",
    ACCESS_SCOPE,
    READ_CLASS_SCOPE,
]


def add_jelai_service(
    c: Any,
    *,
    url: str,
    command: list[str] | None = None,
    api_token: str | None = None,
    server_url: str | None = None,
    instructor_groups: list[str] | None = None,
) -> None:
    """Adds the jelai service to the hub configuration `c`.

    `url` is where the service listens (the hub's proxy routes
    `/services/jelai/` to it); `command` makes it hub-managed; `api_token`
    is an external service's token (the same value in its
    $JUPYTERHUB_API_TOKEN); `server_url` is how users' servers reach it
    (default: `url` + `/services/jelai/`); `instructor_groups` are the
    service's `c.JelaiService.instructor_groups` (default `["instructors"]`),
    whose members it may read. Settings already in `c` are kept
    beside these: other services, other roles' scopes, the spawner's
    environment.
    """
    service: dict[str, Any] = {"name": SERVICE_NAME, "url": url, "oauth_no_confirm": True}
    if command is not None:
        service["command"] = command
    if api_token is not None:
        service["api_token"] = api_token
    services = [s for s in c.JupyterHub.get("services", []) if s.get("name") != SERVICE_NAME]
    c.JupyterHub.services = [*services, service]

    roles = list(c.JupyterHub.get("load_roles", []))
    user_role = next((role for role in roles if role.get("name") == "user"), None)
    if user_role is None:
        roles.append({"name": "user", "scopes": ["self", ACCESS_SCOPE]})
    elif ACCESS_SCOPE not in user_role.get("scopes", []):
        user_role["scopes"] = [*user_role.get("scopes", ["self"]), ACCESS_SCOPE]
    groups = ["instructors"] if instructor_groups is None else instructor_groups
    roles = [role for role in roles if role.get("name") != SERVICE_ROLE]
    if groups:
        scopes = [f"read:groups!group={group}" for group in groups]
        roles.append({"name": SERVICE_ROLE, "scopes": scopes, "services": [SERVICE_NAME]})
    c.JupyterHub.load_roles = roles

    custom = dict(c.JupyterHub.get("custom_scopes", {}))
    custom.setdefault(READ_CLASS_SCOPE, {"description": "Read every student's jelai record."})
    c.JupyterHub.custom_scopes = custom

    scopes = list(c.Spawner.get("server_token_scopes", []))
    c.Spawner.server_token_scopes = [*scopes, *(s for s in SERVER_TOKEN_SCOPES if s not in scopes)]
    environment = dict(c.Spawner.get("environment", {}))
    environment["JELAI_SERVICE_URL"] = server_url or f"{url.rstrip('/')}/services/{SERVICE_NAME}/"
    c.Spawner.environment = environment
