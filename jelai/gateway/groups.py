"""Which line of the fair queue a generation waits in, and how many slots it has.

A line is a **model group**: the upstreams (`upstreams.py`) that serve the
model asked for. Its slots are the sum of each member's `max_concurrent`
(`c.JelaiTutor.upstreams`); a member without one counts
`c.JelaiService.max_concurrent_generations`. So with a 7B model on one
server (`max_concurrent: 4`) and a small one on two (`2` each), at most 4
questions for the first and 4 for the second are generated at once, and a
question for one model never waits behind the other's full group.

A line is named by its members' names (`name` in `c.JelaiTutor.upstreams`,
by default their places in the list), space-separated: `1 2`, `gpu-a gpu-b`;
the name is recorded in `tutor.queued` events, which students read, so it
never holds a member's URL.

Without `c.JelaiTutor.upstreams` there is one group, `default` (the Ollama
at `c.JelaiTutor.ollama_url`), with `max_concurrent_generations` slots.
A request for a model no upstream serves waits in `default` (and is then
answered 404). Two groups that share a server each count its slots; the
server's own `max_concurrent` still holds, the rule of `upstreams.py` step 4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .queue import DEFAULT_UPSTREAM
from .upstreams import configured

if TYPE_CHECKING:
    from ..config import JelaiTutor


class ModelGroups:
    """The model groups of the course's upstreams, read from the settings on
    each request (so a changed setting needs no restart of the queue)."""

    def __init__(self, tutor: JelaiTutor, default_slots: int) -> None:
        self._tutor = tutor
        self._default = max(1, default_slots)
        self._slots: dict[str, int] = {}

    def line(self, model: str | None) -> str:
        """The name of the line a generation for `model` waits in."""
        if not self._tutor.upstreams:
            return DEFAULT_UPSTREAM
        members = [s for s in configured(self._tutor) if model is None or s.serves(model)]
        if not members:
            return DEFAULT_UPSTREAM
        name = " ".join(s.name for s in members)
        self._slots[name] = sum(s.max_concurrent or self._default for s in members)
        return name

    def slots(self, name: str) -> int:
        """How many generations the line `name` runs at once."""
        return self._slots.get(name, self._default)
