"""`/jelai/analytics`, `/jelai/analytics/class` and `/jelai/export`: who sees what.

- Everyone sees their own data: their rows of this server's store.
- Instructors (`c.Jelai.instructors`, or a JupyterHub group in
  `c.Jelai.instructor_groups`) also see the class: every student's store
  under `c.Jelai.class_data_dir`, and any one student's with `?user=`.
- Anyone else asking for the class or another user's data gets 403, before
  anything is read. The real boundary is the file system (see
  `insight/sources.py` and the README): a student's server can reach only its own
  store, whatever code the student runs in it.

The work is done by `analytics.py` and `export.py`, off the IO loop.
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
from ..insight.sources import Source, class_sources, own_source
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

    def class_stores(self, user: str | None = None) -> list[Source]:
        """The class's stores (or one student's); 403 unless an instructor asks."""
        if not self.is_instructor:
            raise JelaiError(403, "Only instructors may see the class's data.")
        config = self.jelai.config
        if not config.class_data_dir:
            raise JelaiError(404, "This server has no class data folder (c.Jelai.class_data_dir).")
        try:
            # Instructors' own folders (named, or the one asking) are not students'.
            exclude = [*config.instructors, self.user_name]
            sources = class_sources(config.class_data_dir, exclude=exclude)
        except FileNotFoundError as error:
            raise JelaiError(503, str(error)) from None
        if user is None:
            return sources
        chosen = [source for source in sources if source.owner == user]
        if not chosen:
            raise JelaiError(404, f"No data of {user} in the class folder.", "user")
        return chosen

    def stores_for(self, user: str | None) -> list[Source]:
        """The current user's own store, or (instructors only) another user's."""
        if user is None or user == self.user_name:
            return [own_source(self.jelai.store, self.user_name)]
        if not self.is_instructor:
            raise JelaiError(403, "You may only see your own data.", "user")
        return self.class_stores(user)

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

    Students get their own events; instructors the class's (or `?user=`'s).
    `pseudonymise=1` replaces user names with the keyed pseudonyms of
    `jelai export`, the key kept in this server's data folder.
    """

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            argument = self._argument
            kind, filters = export_request(argument, self.notebook_argument())
            user = self.get_query_argument("user", None)
            if user is None and self.is_instructor and self.jelai.config.class_data_dir:
                sources = self.class_stores()
            else:
                sources = self.stores_for(user)
            pseudonymiser = None
            if wants_pseudonyms(argument):
                key_file = Path(self.jelai.config.data_dir) / "export.key"
                pseudonymiser = pseudonymiser_for(key_file, self._names(sources))
        except JelaiError as error:
            self.fail(error)
            return
        await self.send_export(kind, sources, filters, pseudonymiser)

    def _argument(self, name: str) -> str | None:
        return self.get_query_argument(name, None)

    def _names(self, sources: list[Source]) -> list[str]:
        """The names a pseudonymised download replaces: its users, the asker,
        the instructors, and for an instructor every student of the class
        (a student's chat may name a classmate)."""
        config = self.jelai.config
        names = {*export_users(sources), self.user_name, *config.instructors}
        if self.is_instructor and config.class_data_dir:
            names.update(export_users(self.class_stores()))
        return sorted(names)
