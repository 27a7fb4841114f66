"""The page's request for each scenario, made by the tutor page's own context
builder (src/context) run with Node: `context.js` with `builder/`, which
`jlpm build` makes from the TypeScript sources (scripts/build_eval_context.js).

There is no other way here: without Node or the built builder, `jelai
eval` stops and says which is missing, rather than send a context the
page would not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .scenarios import NOW, Scenario

HERE = Path(__file__).parent
RUNNER = HERE / "context.js"
BUILDER = HERE / "builder" / "index.js"


class ContextUnavailable(RuntimeError):
    """Node or the built context builder is missing."""


def node() -> str:
    """The Node program (`$JELAI_NODE`, else `node` on the PATH)."""
    found = os.environ.get("JELAI_NODE") or shutil.which("node")
    if not found or not os.access(found, os.X_OK):
        raise ContextUnavailable(
            "jelai eval needs Node.js to build each question's context with the tutor "
            "page's own code, and none was found: install Node.js (18 or later) or set "
            "JELAI_NODE to its program."
        )
    return found


def check_builder() -> None:
    if not BUILDER.is_file():
        raise ContextUnavailable(
            f"the tutor's context builder is not built ({BUILDER} is missing): run "
            "`jlpm build` (or `jlpm build:eval`) in jelai's source folder, or install "
            "a jelai package built with it."
        )


def page_requests(scenarios: list[Scenario], answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each scenario, what the page sends: `messages`, the `jelai` object,
    and what the builder reports (`sections`, `estimatedTokens`, `overBudget`).
    `answers` are the gateway's instructions answers (`page.for_notebook`,
    with the TUTOR.md), one per scenario."""
    check_builder()
    items = [
        {
            "path": s.path,
            "cells": s.cells,
            "metadata": s.metadata,
            "activeCellId": s.active_cell_id,
            "events": s.events,
            "conversation": s.conversation,
            "question": s.question,
            "hint": s.hint,
            "now": NOW.isoformat(),
            "instructions": answer,
        }
        for s, answer in zip(scenarios, answers)
    ]
    done = subprocess.run(
        [node(), str(RUNNER)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise ContextUnavailable(f"the context builder failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)
