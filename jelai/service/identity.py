"""Who a JupyterHub user model is, and whether they read the class.

The model is what JupyterHub answers for the caller's token or OAuth cookie
(`GET /hub/api/user`, see JupyterHub's REST API): `name`, `kind` ("user" or
"service"), `groups` (with the `read:users:groups` scope) and `scopes` (the
token's). Nothing here knows about tornado.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import JelaiError
from .config import READ_CLASS_SCOPE


@dataclass(frozen=True)
class Caller:
    """A hub user as the service sees them."""

    name: str
    instructor: bool


def caller(
    model: Mapping[str, Any] | None,
    instructor_groups: Iterable[str],
    instructors: Iterable[str] = (),
) -> Caller:
    """The caller of a request, or a 403 JelaiError for no user or a service's token.

    Instructors are in one of `instructor_groups`, named in `instructors`, or
    hold READ_CLASS_SCOPE (a JupyterHub 5 custom scope) in their token.
    """
    if not model:
        raise JelaiError(403, "JupyterHub did not identify the caller.")
    if model.get("kind", "user") != "user" or not isinstance(model.get("name"), str):
        raise JelaiError(403, "Only JupyterHub users have a record here.")
    groups = set(model.get("groups") or ())
    scopes = set(model.get("scopes") or ())
    name = model["name"]
    instructor = (
        name in set(instructors)
        or bool(groups & set(instructor_groups))
        or READ_CLASS_SCOPE in scopes
    )
    return Caller(name=name, instructor=instructor)
