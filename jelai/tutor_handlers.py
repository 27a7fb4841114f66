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

from .base import JelaiError, JelaiHandler
from .config import JelaiTutor
from .instructions import InstructionsPathError, find_tutor_md


def tutor_course_config(tutor: JelaiTutor) -> dict[str, Any]:
    """The course layer as the browser reads it."""
    return {
        "mode": tutor.mode,
        "system_prompt": tutor.system_prompt,
        "learning_objectives": list(tutor.learning_objectives),
        "max_code_lines": tutor.max_code_lines,
        "show_context": tutor.show_context,
        "context_budget_tokens": tutor.context_budget_tokens,
    }


class TutorInstructionsHandler(JelaiHandler):
    """`GET /jelai/tutor/instructions?notebook=<path>`: course and assignment layers."""

    @tornado.web.authenticated
    def get(self) -> None:
        try:
            assignment = self._assignment(self.notebook_argument() or "")
        except JelaiError as error:
            self.fail(error)
            return
        self.finish(
            json.dumps({"course": tutor_course_config(self.jelai.tutor), "assignment": assignment})
        )

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
