"""A tutor's chat request completed by the gateway.

`complete_chat` reads the page's `jelai` object, merges the pedagogy and
puts the system prompt (`prompt.py`) before the page's messages. It counts
the whole prompt as the student's side counts it, the instructor-only layer
at its fixed share (`instructor_share.py`), and refuses with a 413 a prompt
that does not fit the model's context. Nothing of the prompt goes back to
the student: the exchange is recorded with the page's messages and a
summary of what the prompt was made of (`CompletedChat.summary`), and the
model's counts relayed to the student are replaced by that count
(`CompletedChat.tokens`) when the prompt has a hidden layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import JelaiError
from .instructor_share import counted_tokens, fitted_prompt, has_hidden_layer
from .prompt import PageFields, Pedagogy, check_page_messages, merge_pedagogy, read_page_fields
from .tokens import MESSAGE_OVERHEAD_TOKENS, estimate_messages

if TYPE_CHECKING:
    from .assignments import Assignment
    from .prompt import CourseRules


@dataclass
class CompletedChat:
    """A chat request completed by the gateway."""

    body: dict[str, Any]  # what the model server receives
    messages: list[dict[str, Any]]  # the page's messages, as the exchange records them
    pedagogy: Pedagogy
    fields: PageFields
    # The prompt's tokens as the student's side was told them (the page's budget,
    # a 413): the instructor-only layer counted as its fixed share.
    tokens: int

    @property
    def hidden(self) -> bool:
        """Whether the prompt holds the instructor-only layer, whose length the
        model's own counts would tell (`instructor_share.public_counts`)."""
        return has_hidden_layer(self.pedagogy)

    def summary(self) -> dict[str, Any]:
        """What the prompt was made of, without any instructor text (the
        `prompt` of the `chat.exchange` event), and its tokens as the student's
        side was told them (what the quota counts for a reply that ends before
        the model's counts: `quota.exchange_tokens`)."""
        return {
            "mode": self.pedagogy.mode,
            "max_code_lines": self.pedagogy.max_code_lines,
            "hint": self.fields.hint,
            "layers": [layer.source for layer in self.pedagogy.layers],
            "assignment": self.pedagogy.assignment,
            "reference": self.pedagogy.reference is not None,
            "tokens": self.tokens,
        }


def complete_chat(
    course: CourseRules,
    body: dict[str, Any],
    instructor: Assignment | None,
    budget: int,
) -> CompletedChat:
    """The request with the tutor's system prompt first and `jelai` taken out;
    a 400 for a system message in tutor mode or a bad `jelai` object, a 413
    when the completed prompt does not fit `budget` tokens."""
    body = dict(body)
    fields = read_page_fields(body.pop("jelai", None))
    pedagogy = merge_pedagogy(course, instructor, fields.tutor_md, fields.notebook)
    messages = list(body.get("messages") or [])
    check_page_messages(messages, pedagogy.mode)
    counted = counted_tokens(pedagogy, fields.hint)
    system = {"role": "system", "content": fitted_prompt(pedagogy, fields.hint, counted)}
    body["messages"] = [system, *messages]
    # The instructor-only layer counts as its fixed share, never its length.
    tokens = counted + MESSAGE_OVERHEAD_TOKENS + estimate_messages(messages)
    if tokens > budget:
        raise JelaiError(
            413,
            f"The question with its context and the tutor's instructions comes to about "
            f"{tokens} tokens; the model's context holds at most {budget}. Nothing was "
            "sent: shorten the question, or ask about one part at a time.",
            "messages",
        )
    return CompletedChat(body, messages, pedagogy, fields, tokens)
