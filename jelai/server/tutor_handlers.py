"""`GET /jelai/tutor/instructions`: the instructor layers the tutor merges.

The course layer comes from `c.JelaiTutor` (mode, system prompt, learning
objectives, snippet limit, whether students see the context, token budget);
the assignment layer is the nearest `TUTOR.md` (see `instructions.py`). The
third layer, the notebook's `jelai` metadata, is read by the browser.
"""

from __future__ import annotations

import json
import os
from typing import Any

import tornado.web

from ..config import tutor_course_config
from ..gateway.instructions import InstructionsPathError, find_tutor_md
from .base import JelaiError, JelaiHandler
from .relay import ask_service


class TutorInstructionsHandler(JelaiHandler):
    """`GET /jelai/tutor/instructions?notebook=<path>`: course and assignment layers."""

    @tornado.web.authenticated
    async def get(self) -> None:
        assignment = self._assignment(self.notebook_argument() or "")
        self.finish(json.dumps({"course": await self._course(), "assignment": assignment}))

    async def _course(self) -> dict[str, Any]:
        """The course layer: this server's settings, or in hub mode the service's."""
        service_url = self.jelai.config.service_url
        if not service_url:
            return tutor_course_config(self.jelai.tutor)
        response = await ask_service(service_url, "GET", "config")
        if response.code != 200:
            raise JelaiError(502, f"The course's jelai service answered {response.code}.")
        return json.loads(response.body)["course"]

    def _assignment(self, notebook: str) -> dict[str, Any]:
        try:
            found = find_tutor_md(self._root(), notebook)
        except InstructionsPathError as error:
            raise JelaiError(400, str(error), "notebook") from None
        except OSError as error:
            self.log.warning("jelai: cannot read TUTOR.md for %s: %s", notebook, error)
            found = None
        if found is None:
            return {"path": None, "text": None, "truncated": False}
        return {"path": found.path, "text": found.text, "truncated": found.truncated}

    def _root(self) -> str:
        root = getattr(self.contents_manager, "root_dir", None)
        return str(root or os.path.expanduser(self.settings["server_root_dir"]))
