"""The course's staff, left out of the class view: the instructors named in
the settings and the members of the instructors' hub groups.

Group members come from JupyterHub's REST API (`GET /hub/api/groups/<name>`,
whose group model lists `users`), asked with the service's own token: the
hub must grant the service `read:groups` on those groups (`hub_config.py`
does). Answers are kept for `ttl` seconds. If the hub refuses or cannot be
reached, the named instructors are still left out, the failure is logged,
and the class view still answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

log = logging.getLogger("jelai.service")


class Staff:
    """Who the course's staff are, from the settings and the hub's groups."""

    def __init__(
        self,
        api_url: str,
        api_token: str,
        names: Iterable[str],
        groups: Iterable[str],
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._token = api_token
        self._names = frozenset(names)
        self._groups = tuple(groups)
        self._ttl = ttl
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._checked: float | None = None

    async def names(self) -> frozenset[str]:
        """The named instructors and every member of the instructors' groups."""
        now = self._clock()
        if self._groups and (self._checked is None or now - self._checked >= self._ttl):
            self._members = await self._group_members()
            self._checked = now
        return self._names | self._members

    async def _group_members(self) -> frozenset[str]:
        client = AsyncHTTPClient()
        members: set[str] = set()
        for group in self._groups:
            request = HTTPRequest(
                f"{self._api_url}/groups/{quote(group, safe='')}",
                headers={"Authorization": f"token {self._token}"},
                request_timeout=10,
            )
            try:
                response = await client.fetch(request)
                users = json.loads(response.body).get("users") or []
            except HTTPClientError as error:
                if error.code != 404:  # a group nobody made yet has no members
                    log.warning("jelai service: the hub did not list group %s: %s", group, error)
                continue
            except (OSError, ValueError, AttributeError) as error:
                log.warning("jelai service: the hub did not list group %s: %s", group, error)
                continue
            members.update(str(user) for user in users if isinstance(user, str))
        return frozenset(members)
