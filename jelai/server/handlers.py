"""Thin handlers for `/jelai/config` and `/jelai/events`.

They check the request, ask `events.py` and the store (`store/`), and answer JSON.
Posted events are stored with plain notebook paths (`paths.py`) and times
bounded by the server's clock (`record/times.py`).
Errors answer `{"error": ..., "field": ...}`: 400 for bad input, 413 for too
much of it, 503 when the store cannot be written (the browser keeps its queue
and retries; the server dedupes, so a retry never counts twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import tornado.web
from tornado.ioloop import IOLoop

from .. import __version__
from ..config import telemetry_public_config, tutor_public_config
from ..record.ingest import accept_batch
from ..record.staff import for_student
from ..store import StoreError
from ..web.query_args import limit_argument, notebook_required, since_argument
from .base import JelaiError, JelaiHandler
from .relay import ask_service

T = TypeVar("T")


class ConfigHandler(JelaiHandler):
    """`GET /jelai/config`: the effective configuration for the current user.

    In hub mode the user, the recording policy and the models are the course
    service's: it decides what is kept and which models answer (`data_dir`
    is then null).
    """

    @tornado.web.authenticated
    async def get(self) -> None:
        context = self.jelai
        config: dict[str, Any] = {
            "user": self.user_name,
            "data_dir": context.config.data_dir,
            "service": False,
            "version": __version__,
            "telemetry": telemetry_public_config(context.telemetry),
            "tutor": tutor_public_config(context.tutor),
        }
        if context.config.service_url:
            response = await ask_service(context.config.service_url, "GET", "config")
            if response.code != 200:
                raise JelaiError(502, f"The course's jelai service answered {response.code}.")
            course = json.loads(response.body)
            config.update(
                user=course["user"],
                data_dir=None,
                service=True,
                telemetry=course["telemetry"],
                tutor=course["tutor"],
            )
        self.finish(json.dumps(config))


class EventsHandler(JelaiHandler):
    """`POST /jelai/events` stores a batch; `GET /jelai/events` reads one notebook's."""

    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            result = await self._store_batch()
        except JelaiError as error:
            self.fail(error)
            return
        self.finish(json.dumps(result))

    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            rows = await self._read_events()
        except JelaiError as error:
            self.fail(error)
            return
        # The stored JSON is sent as it is: no parsing of thousands of events.
        self.finish('{"events":[' + ",".join(rows) + "]}")

    async def _in_store(self, call: Callable[[], T]) -> T:
        """Runs a store call off the IO loop: a durable commit waits for the disk
        (slow on network home folders) and must not hold up other requests."""
        try:
            return await IOLoop.current().run_in_executor(None, call)
        except StoreError as error:
            self.log.error("jelai: %s", error)
            raise JelaiError(503, str(error)) from None

    async def _store_batch(self) -> dict[str, int]:
        telemetry = self.jelai.telemetry
        # Telemetry switched off still answers 200 with everything dropped, so an
        # open page never retries a batch forever.
        kept, dropped = accept_batch(self.json_body(telemetry.max_body_bytes), telemetry)
        user, store = self.user_name, self.jelai.store
        stored, duplicates = await self._in_store(lambda: store.add(user, kept))
        return {"stored": stored, "duplicates": duplicates, "dropped": dropped}

    async def _read_events(self) -> list[str]:
        notebook = notebook_required(self.notebook_argument())
        since = since_argument(self.get_query_argument("since", None))
        limit = limit_argument(self.get_query_argument("limit", None))
        user, store = self.user_name, self.jelai.store
        types = self.get_query_arguments("type") or None
        # The student's own events, as a student may read them (see `record/staff.py`).
        return await self._in_store(
            lambda: for_student(
                store.query_json(
                    user=user, notebook=notebook, since=since, limit=limit, types=types
                )
            )
        )
