"""`GET /jelai/tutor/instructions`: what the tutor's page may know of a notebook's instructions.

The course's settings the page needs (mode and snippet limit in force,
whether students see the context, the token budget and how much of it the
gateway's instructions take), whether instructor-only instructions apply
and for which assignment (in hub mode, the course's service says), and the
nearest `TUTOR.md` (see `instructions.py`), which the page sends back with
each question. The text of the course's and the instructor's instructions
never comes here: the model gateway adds it to the prompt (`gateway/page.py`).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

import tornado.web

from ..gateway.instructions import InstructionsPathError, find_tutor_md
from ..gateway.page import for_notebook, with_tutor_md
from .base import JelaiError, JelaiHandler
from .relay import ask_service


class TutorInstructionsHandler(JelaiHandler):
    """`GET /jelai/tutor/instructions?notebook=<path>`: settings, hidden layer, TUTOR.md."""

    @tornado.web.authenticated
    async def get(self) -> None:
        notebook = self.notebook_argument() or ""
        tutor_md = self._tutor_md(notebook)
        self.finish(json.dumps(with_tutor_md(await self._course(notebook), tutor_md)))

    async def _course(self, notebook: str) -> dict[str, Any]:
        """This server's settings, or in hub mode the service's for the notebook."""
        service_url = self.jelai.config.service_url
        if not service_url:
            return for_notebook(self.jelai.tutor, None)
        path = f"tutor/instructions?{urlencode({'notebook': notebook})}"
        response = await ask_service(service_url, "GET", path)
        if response.code != 200:
            raise JelaiError(502, f"The course's jelai service answered {response.code}.")
        return json.loads(response.body)

    def _tutor_md(self, notebook: str) -> dict[str, Any]:
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
