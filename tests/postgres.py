"""A private PostgreSQL server for the test session: initdb and pg_ctl in a
temporary folder, listening on a free loopback port, stopped and removed at
the end.

PostgreSQL comes from Debian's `postgresql` package (`scripts/test.sh`
installs it); its programs are in /usr/lib/postgresql/<version>/bin. The
server refuses to run as root, so as root it runs as the `postgres` account
the package creates (`runuser`). Every test gets a database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

ACCOUNT = "postgres"
SUPERUSER = "jelai"


class Missing(Exception):
    """PostgreSQL's programs are not installed, or the server does not start."""


def find_bin() -> Path:
    """The newest /usr/lib/postgresql/*/bin holding initdb."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not found:
        raise Missing(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the store"
            " tests run on SQLite and PostgreSQL. Install it with"
            " `apt-get install postgresql` (scripts/test.sh does)."
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server; `url(name)` gives a SQLAlchemy URL of a database on it.

    A test's server skips fsync; `durable=True` keeps PostgreSQL's own
    settings, for a benchmark whose writes must reach the disk."""

    def __init__(self, durable: bool = False) -> None:
        self.bin = find_bin()
        self.durable = durable
        self.folder = Path(tempfile.mkdtemp(prefix="jelai-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_account = os.geteuid() == 0
        self._numbers = itertools.count(1)
        self._admin: sa.Engine | None = None

    def _run(self, *argv: str) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self._as_account:
            command = ["runuser", "-u", ACCOUNT, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise Missing(f"{' '.join(argv[:2])} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        if self._as_account:
            shutil.chown(self.folder, user=ACCOUNT)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        if not self.durable:
            # A test database: speed over durability.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        self._admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        assert self._admin is not None
        name = f"test_{next(self._numbers)}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        assert self._admin is not None
        name = sa.make_url(url).database
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close_database(self, url: str) -> None:
        """The database of `url` goes away for its clients: new connections are
        refused and those open are ended, as when its server is down."""
        assert self._admin is not None
        name = sa.make_url(url).database
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def reopen_database(self, url: str) -> None:
        """The database of `url` takes connections again."""
        assert self._admin is not None
        name = sa.make_url(url).database
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
