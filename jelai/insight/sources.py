"""Which store a reader reads, and whose rows in it.

A standalone server reads its own store; the course's service reads the
central one, one user's rows or everyone's but the staff's. A researcher's
`jelai export --class-dir` also reads a folder of store files, one per
student, as deployments before the service kept them
(`<class_dir>/<user>/events.sqlite3`): each is named after its folder,
never after what its rows say.

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
    """One store to read: all of its rows, one user's rows, or all but some users'."""

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
    # With `user` None: the users whose rows are left out (the course's staff).
    exclude: tuple[str, ...] = ()


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


def own_source(store: EventStore | Path, user: str | None, exclude: Iterable[str] = ()) -> Source:
    """`user`'s rows in a store (this server's, the course service's, or a store
    file); for None every user's rows but `exclude`'s, each under its own name."""
    left_out = tuple(sorted(set(exclude))) if user is None else ()
    if not isinstance(store, EventStore):
        return Source(path=Path(store), owner=user, user=user, exclude=left_out)
    if store.path is not None:
        return Source(path=store.path, owner=user, user=user, exclude=left_out)
    url = store.url.render_as_string(hide_password=False)
    return Source(path=None, owner=user, user=user, url=url, exclude=left_out)


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
