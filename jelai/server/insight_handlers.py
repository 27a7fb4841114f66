"""`/jelai/analytics`, `/jelai/analytics/class` and `/jelai/export` of a
standalone server: who sees what of its own store.

- Everyone sees their own rows.
- Instructors (`c.Jelai.instructors`, or a JupyterHub group in
  `c.Jelai.instructor_groups`) also see everyone else's rows in the store:
  the class (every user but the instructors), and any one user with `?user=`.
- Anyone else asking for the class or another user's data gets 403, before
  anything is read.

A server reads no store but its own. In a course every student's server
relays these routes to the course's service (`relay.py`), which reads the
central store; the service is where a class is seen.

The work is done by `insight/analytics.py` and `insight/export.py`, off the IO loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import tornado.web
from tornado.ioloop import IOLoop

from ..insight.analytics import summarise
from ..insight.export import export_users
from ..insight.sources import Source, own_source
from ..store import EventStore
from ..web.download import Download, export_request, pseudonymiser_for, wants_pseudonyms
from ..web.query_args import analytics_options
from .base import JelaiError, JelaiHandler
from .identity import hub_groups, is_instructor

T = TypeVar("T")


class InsightHandler(JelaiHandler):
    """What the three endpoints share: the instructor check and the stores to read."""

    @property
    def is_instructor(self) -> bool:
        config = self.jelai.config
        groups = hub_groups(self.current_user)
        return is_instructor(self.user_name, groups, config.instructors, config.instructor_groups)

    def class_stores(self) -> list[Source]:
        """Every user's rows but the instructors'; 403 unless an instructor asks."""
        if not self.is_instructor:
            raise JelaiError(403, "Only instructors may see the class's data.")
        staff = [*self.jelai.config.instructors, self.user_name]
        return [own_source(self.store, None, exclude=staff)]

    def stores_for(self, user: str | None) -> list[Source]:
        """The current user's own rows, or (instructors only) another user's."""
        if user is not None and user != self.user_name and not self.is_instructor:
            raise JelaiError(403, "You may only see your own data.", "user")
        return [own_source(self.store, user or self.user_name)]

    @property
    def store(self) -> EventStore:
        store = self.jelai.store
        if store is None:  # hub mode: routes.py gives these routes to the relay
            raise JelaiError(
                404, "This server stores nothing: the course's service keeps the record."
            )
        return store

    async def off_loop(self, call: Callable[[], T]) -> T:
        return await IOLoop.current().run_in_executor(None, call)

    async def summary(self, sources: list[Source]) -> None:
        options = analytics_options(
            self.get_query_argument("bucket", None), self.jelai.config.idle_seconds
        )
        notebook = self.notebook_argument()
        result = await self.off_loop(lambda: summarise(sources, notebook=notebook, options=options))
        self.finish(
            json.dumps({"user": self.user_name, "instructor": self.is_instructor, **result})
        )


class AnalyticsHandler(InsightHandler):
    """`GET /jelai/analytics`: the current user's summary (an instructor may add `?user=`)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            await self.summary(self.stores_for(self.get_query_argument("user", None)))
        except JelaiError as error:
            self.fail(error)


class ClassAnalyticsHandler(InsightHandler):
    """`GET /jelai/analytics/class`: every student of the class, for instructors only."""

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            await self.summary(self.class_stores())
        except JelaiError as error:
            self.fail(error)


class ExportHandler(Download, InsightHandler):
    """`GET /jelai/export`: events as a JSONL or CSV download (see `download.py`).

    Students get their own events, without the fields only staff read
    (`record/staff.py`); instructors the class's (or `?user=`'s), all of them.
    `pseudonymise=1` replaces user names with keyed pseudonyms: for an
    instructor those of `jelai export`, the key kept in this server's data
    folder; for a student, a key of the download's own (see `download.py`).
    """

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            argument = self._argument
            kind, filters = export_request(argument, self.notebook_argument())
            user = self.get_query_argument("user", None)
            if user is None and self.is_instructor:
                sources = [own_source(self.store, None)]
            else:
                sources = self.stores_for(user)
            pseudonymiser = None
            if wants_pseudonyms(argument):
                key_file = Path(self.jelai.config.data_dir) / "export.key"
                pseudonymiser = pseudonymiser_for(
                    key_file, self._names(sources), staff=self.is_instructor
                )
        except JelaiError as error:
            self.fail(error)
            return
        await self.send_export(kind, sources, filters, pseudonymiser, staff=self.is_instructor)

    def _argument(self, name: str) -> str | None:
        return self.get_query_argument(name, None)

    def _names(self, sources: list[Source]) -> list[str]:
        """The names a pseudonymised download replaces: its users, the asker,
        the instructors, and for an instructor every student of the class
        (a student's chat may name a classmate)."""
        names = {*export_users(sources), self.user_name, *self.jelai.config.instructors}
        if self.is_instructor:
            names.update(export_users([own_source(self.store, None)]))
        return sorted(names)
