"""The instructor-only layer's fixed share: all a student learns of its size.

In a course the gateway may add to the tutor's prompt a layer the student
never reads: the instructor's instructions and reference solution for the
assignment (`assignments.py`). Its text stays on the service, and so does
its length. Wherever a count reaches the student, the layer counts as
`INSTRUCTOR_LAYER_TOKENS`, whatever its text:

- the tokens of the gateway's instructions the page is told
  (`instructions_tokens`, `GET tutor/instructions`) and the count of a 413
  (`counted_tokens`); a longer layer is cut to fit that share in the prompt
  the model gets (`fitted_prompt`);
- the model's own counts (`public_counts`): the last line of a reply
  relayed to the student gets as its `prompt_eval_count` the count the
  page was told (`CompletedChat.tokens`: the public prompt's estimate, the
  layer's share and the page's messages), and loses the durations that
  grow with the prompt (`PROMPT_TIMINGS`); `eval_count` and
  `eval_duration`, which grow with the reply, pass. The student's
  `chat.exchange` and the daily token quota (`quota.py`) read that line, so
  they count the same; the model's own count is kept for staff only
  (`model_prompt_eval_count`, see `record/staff.py`).

Without an instructor-only layer nothing is replaced: a student may see the
real counts of a prompt they could read. How long a reply takes to begin
is not hidden: the student can time their own stream.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .prompt import Layer, Pedagogy, clip, merge_pedagogy, system_prompt
from .tokens import MESSAGE_OVERHEAD_TOKENS, estimate_tokens
from .wording import HINT_LEVELS

if TYPE_CHECKING:
    from .assignments import Assignment
    from .prompt import CourseRules

# Tokens the instructor-only layer (its instructions and the reference) is
# counted as, whatever its length: the page's budget, a 413 and the model's
# counts relayed to the student count this, never its text.
INSTRUCTOR_LAYER_TOKENS = 1536
# Fields of the model's last line that grow with the prompt's length (Ollama's
# names; `openai.py` writes the same from `usage` and llama.cpp's `timings`).
PROMPT_TIMINGS = ("prompt_eval_duration", "total_duration", "load_duration")


def has_hidden_layer(pedagogy: Pedagogy) -> bool:
    """Whether the prompt holds text from the instructor-only layer."""
    return pedagogy.reference is not None or any(
        layer.source == "instructor" for layer in pedagogy.layers
    )


def counted_tokens(pedagogy: Pedagogy, hint: int | None) -> int:
    """The system prompt's tokens as every answer to a student counts them: with
    an instructor-only layer, the prompt with placeholders in its place plus
    `INSTRUCTOR_LAYER_TOKENS`, the same for any length of its text."""
    if not has_hidden_layer(pedagogy):
        return estimate_tokens(system_prompt(pedagogy, hint))
    public = replace(
        pedagogy,
        layers=[layer for layer in pedagogy.layers if layer.source != "instructor"],
        reference="-",
    )
    public.layers.insert(1, Layer("instructor", "", "-"))
    return estimate_tokens(system_prompt(public, hint)) + INSTRUCTOR_LAYER_TOKENS


def fitted_prompt(pedagogy: Pedagogy, hint: int | None, limit: int) -> str:
    """The system prompt, the instructor-only layer's text cut until the prompt
    takes at most `limit` tokens (what the student's side was told it takes)."""
    text = system_prompt(pedagogy, hint)
    for _ in range(64):
        if estimate_tokens(text) <= limit or not has_hidden_layer(pedagogy):
            break
        layers = [
            Layer(lay.source, lay.origin, clip(lay.text, len(lay.text) * 3 // 4))
            if lay.source == "instructor"
            else lay
            for lay in pedagogy.layers
        ]
        reference = pedagogy.reference
        if reference is not None:
            reference = clip(reference, len(reference) * 3 // 4) if len(reference) > 8 else None
        shorter = replace(pedagogy, layers=layers, reference=reference)
        if shorter == pedagogy:
            break
        pedagogy = shorter
        text = system_prompt(pedagogy, hint)
    return text


def instructions_tokens(course: CourseRules, instructor: Assignment | None) -> int:
    """Estimated tokens of the system prompt the gateway adds for a notebook of
    the assignment, at the longest hint level, before the student's own layers."""
    pedagogy = merge_pedagogy(course, instructor)
    return counted_tokens(pedagogy, max(HINT_LEVELS)) + MESSAGE_OVERHEAD_TOKENS


def public_counts(item: dict[str, Any], tokens: int) -> dict[str, Any]:
    """A line of the model's reply to a prompt with the instructor-only layer, as
    the student may have it: its `prompt_eval_count` (when it has one) is
    `tokens`, what the student's side was told the prompt takes, and the
    durations that grow with the prompt are left out. `item` itself when
    nothing in it tells the prompt's length."""
    if "prompt_eval_count" not in item and not any(name in item for name in PROMPT_TIMINGS):
        return item
    public = {name: value for name, value in item.items() if name not in PROMPT_TIMINGS}
    if "prompt_eval_count" in public:
        public["prompt_eval_count"] = tokens
    return public
