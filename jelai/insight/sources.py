"""Whose events a request may read, and where they are.

One event store per student: each student's server writes
`<data_dir>/events.sqlite3`, and `c.Jelai.data_dir = "/srv/jelai/{username}"`
gives every student a folder of their own. An instructor's server is given the
parent folder, mounted read-only, as `c.Jelai.class_data_dir`; the class view
reads each `*/events.sqlite3` under it and names each student after their
folder, never after what the rows say (a student controls the server that
writes their store, so the folder is the only identity nobody else can forge).

Nothing here knows about tornado.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import sqlalchemy as sa

from ..store import EventStore, readonly

STORE_FILE = "events.sqlite3"


@dataclass(frozen=True)
class Source:
    """One store to read: all of its rows (a class folder) or one user's rows."""

    # The store's SQLite file, read read-only (for a database server: `url`).
    path: Path | None
    # Who the rows belong to. For a class folder this is the folder's name and
    # every row is counted as theirs, whatever its `user` column says; None
    # keeps each row's own `user` (a researcher's copy of one server's store).
    owner: str | None
    # Read only the rows of this user (the server's own store), or all rows.
    user: str | None = None
    # A store on a database server (a SQLAlchemy URL), read instead of `path`.
    url: str | None = None


def user_dir_name(user: str) -> str:
    """`user` as one folder name: `/` and other unsafe characters %-escaped."""
    if not user:
        raise ValueError("a user name is needed to name the folder")
    name = quote(user, safe="@+=,")
    # "." and ".." are names the file system gives a meaning of its own.
    return name.replace(".", "%2E") if set(name) == {"."} else name


def dir_user_name(folder: str) -> str:
    """The user a class folder belongs to (the reverse of `user_dir_name`)."""
    return unquote(folder)


def own_source(store: EventStore | Path, user: str | None) -> Source:
    """`user`'s rows in a store (this server's, the course service's, or a store
    file); every user's rows, each under its own name, for None."""
    if not isinstance(store, EventStore):
        return Source(path=Path(store), owner=user, user=user)
    if store.path is not None:
        return Source(path=store.path, owner=user, user=user)
    url = store.url.render_as_string(hide_password=False)
    return Source(path=None, owner=user, user=user, url=url)


def class_sources(class_dir: Path, exclude: Iterable[str] = ()) -> list[Source]:
    """Each student's store under the class folder, sorted by user name.

    Raises FileNotFoundError if the folder is missing: a mistyped path must
    not look like an empty class.
    """
    root = Path(class_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"the class data folder {root} does not exist")
    skip = set(exclude)
    sources = []
    for store in root.glob(f"*/{STORE_FILE}"):
        user = dir_user_name(store.parent.name)
        if user not in skip and store.is_file():
            sources.append(Source(path=store, owner=user))
    return sorted(sources, key=lambda source: source.owner)


@contextmanager
def reading(source: Source) -> Iterator[sa.Connection | None]:
    """A read-only connection to the source's store; None if its file does not
    exist yet (a student who has done nothing). Errors are SQLAlchemy's,
    sqlite3's or StoreError."""
    if source.url is not None:
        with readonly.database(source.url) as conn:
            yield conn
    elif source.path is None or not source.path.exists():
        yield None
    else:
        with readonly.sqlite_file(source.path) as conn:
            yield conn
