"""The where-clauses the metrics' queries get: the source's user (or the
users left out), the notebook and the renamed paths left out (`where`), or
a list of (user, notebook) pairs (`only`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..lineage import Moved
from ..sources import Source


def where(
    query: sa.Select[Any], table: sa.Table, source: Source, notebook: str | None, moved: Moved
) -> tuple[Any, dict[str, Any]]:
    """The query for the source's user and the notebook, without the moved
    paths, and its parameters. Built once per shape (SQLAlchemy caches the
    SQL of a statement it has seen, but building one costs as much)."""
    params: dict[str, Any] = {"user": source.user, "notebook": notebook}
    if moved:
        params["moved"] = moved.paths
    if source.exclude:
        params["exclude"] = list(source.exclude)
    shape = (source.user is not None, bool(source.exclude), notebook is not None, bool(moved))
    return _shaped(query, table, *shape), params


_SHAPES: dict[tuple[Any, ...], Any] = {}


def _shaped(
    query: sa.Select[Any], table: sa.Table, user: bool, exclude: bool, notebook: bool, moved: bool
) -> Any:
    key = (id(query), user, exclude, notebook, moved)
    shaped = _SHAPES.get(key)
    if shaped is None:
        shaped = query
        if user:
            shaped = shaped.where(table.c.user == sa.bindparam("user"))
        if exclude:
            shaped = shaped.where(table.c.user.not_in(sa.bindparam("exclude", expanding=True)))
        if notebook:
            shaped = shaped.where(table.c.notebook == sa.bindparam("notebook"))
        if moved:
            paths = sa.bindparam("moved", expanding=True)
            shaped = shaped.where(sa.tuple_(table.c.user, table.c.notebook).not_in(paths))
        _SHAPES[key] = shaped
    return shaped


def only(query: sa.Select[Any], table: sa.Table) -> sa.Select[Any]:
    """`query` for the (user, notebook) pairs in the parameter `only`."""
    pairs = sa.bindparam("only", expanding=True)
    return query.where(sa.tuple_(table.c.user, table.c.notebook).in_(pairs))
