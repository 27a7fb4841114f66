"""Execution outcomes: what became of a `cell.execute` (docs/events.md).

"ok", "error", "interrupted", "aborted" or "no_reply"; a run is any outcome
but "aborted" (the cell never ran because an earlier one failed), and a
failure is "error" only. The store keeps the outcome in a column of its own
and the analytics count with it, so both read it from here.
"""

from __future__ import annotations

from typing import Any

OUTCOMES = ("ok", "error", "interrupted", "aborted", "no_reply")


def outcome_of(data: dict[str, Any]) -> str:
    """The outcome of a `cell.execute` event's `data`, one of `OUTCOMES`.

    The recorded `outcome`, or for events of clients that recorded none:
    success true -> ok; error named KeyboardInterrupt -> interrupted; no
    error (null or missing) -> aborted; any other error -> error. The same
    store keeps it in a column of its own (`store.columns`).
    """
    outcome = data.get("outcome")
    if outcome in OUTCOMES:
        return str(outcome)
    if data.get("success") is True:
        return "ok"
    error = data.get("error")
    if error is None:
        return "aborted"
    if isinstance(error, dict) and error.get("name") == "KeyboardInterrupt":
        return "interrupted"
    return "error"


def is_run(outcome: str) -> bool:
    """Whether an execution of this outcome counts as a run (all but aborted)."""
    return outcome != "aborted"


def is_failure(outcome: str) -> bool:
    """Whether an execution of this outcome counts as a failure ("error" only)."""
    return outcome == "error"
