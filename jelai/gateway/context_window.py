"""The model's context window and the context budget that must fit in it.

Ollama cuts a prompt longer than the context window it was asked for
(`num_ctx`) at its start, the system prompt first, and the reply needs
room in the same window. So the budget the browser fills with context
(`context_budget_tokens`) is capped at the window less a quarter kept for
the reply, and whenever the settings disagree the configuration the
browser reads says so in words (`notes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Ollama's own default window for the instructor who sets none (tokens).
DEFAULT_CONTEXT_WINDOW = 8192
# Share of the window kept for the reply: a quarter of 8192 is about 2,000 tokens.
REPLY_SHARE = 4


@dataclass(frozen=True)
class ContextFit:
    """The window requested, the budget configured and the budget used (all in tokens)."""

    window: int
    configured_budget: int
    budget: int
    notes: list[str] = field(default_factory=list)


def reply_room(window: int) -> int:
    """Tokens of the window kept for the reply."""
    return window // REPLY_SHARE


def fit_context(window: int, budget: int, options: dict[str, Any]) -> ContextFit:
    """How the budget fits the window; `options` are the instructor's model options."""
    notes = []
    in_options = options.get("num_ctx")
    if in_options is not None and in_options != window:
        notes.append(
            f"c.JelaiTutor.model_options sets num_ctx {in_options}, but the context "
            f"window requested is c.JelaiTutor.context_window, {window} tokens."
        )
    usable = window - reply_room(window)
    if budget > usable:
        notes.append(
            f"The context budget of {budget} tokens (c.JelaiTutor.context_budget_tokens) "
            f"does not fit the model's context window of {window} tokens with room for "
            f"the reply; the tutor sends at most {usable} tokens."
        )
    return ContextFit(window, budget, min(budget, usable), notes)
