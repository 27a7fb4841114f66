"""Who a Jupyter server runs for, and whether they may see the class.

Under JupyterHub the server's user is `$JUPYTERHUB_USER` and their groups
come with the hub's user model; on one's own machine it is the account.
Nothing here knows about tornado.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Iterable, Mapping
from typing import Any


def server_user() -> str:
    """Whom this server runs for: the JupyterHub user, else the operating-system account."""
    return os.environ.get("JUPYTERHUB_USER") or _account()


# The account never changes while the server runs; asking costs a passwd lookup.
_account = functools.cache(getpass.getuser)


def hub_groups(current_user: Any) -> set[str]:
    """The JupyterHub groups of the request's user, if the hub said.

    jupyterhub-singleuser puts the hub's user model on `current_user.hub_user`
    (its `groups` come with the default identify scopes); older versions make
    `current_user` the model itself.
    """
    model = getattr(current_user, "hub_user", current_user)
    groups = model.get("groups") if isinstance(model, Mapping) else None
    return {str(group) for group in groups} if isinstance(groups, (list, tuple, set)) else set()


def is_instructor(
    user: str, groups: Iterable[str], instructors: Iterable[str], instructor_groups: Iterable[str]
) -> bool:
    """Whether `user` may see the class: named in the config, or in an instructors' group."""
    return user in set(instructors) or bool(set(groups) & set(instructor_groups))
