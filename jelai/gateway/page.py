"""What the tutor's page may know of the instructions for a notebook.

`GET /jelai/tutor/instructions?notebook=<path>` answers it: the settings the
page needs (how replies are checked, whether the student may see the
context, the token budget and how much of it the gateway's instructions
take), that instructor-only instructions apply and for which assignment,
and the `TUTOR.md` beside the notebook, which the student can read anyway.
Never the text of the course's or the instructor's instructions, nor the
reference solution: those reach the model only (`prompt.py`).

In hub mode the course's service answers the first part (`for_notebook`)
and the student's server adds the `TUTOR.md` it finds (`with_tutor_md`).

Any path that matches an assignment's folder gets its name, released or not
(there is no release date): docs/course.md tells instructors to add an
assignment to the course folder when it is released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import tutor_course_config
from .instructor_share import instructions_tokens
from .prompt import merge_pedagogy, parse_tutor_md

if TYPE_CHECKING:
    from ..config import JelaiTutor
    from .assignments import Assignment


def for_notebook(tutor: JelaiTutor, instructor: Assignment | None) -> dict[str, Any]:
    """The course's settings for a notebook, the instructor-only layer applied,
    and whether that layer exists (`hidden_instructions`) and for which
    assignment (`hidden_assignment`)."""
    pedagogy = merge_pedagogy(tutor, instructor)
    course = tutor_course_config(tutor)
    course.update(
        mode=pedagogy.mode,
        max_code_lines=pedagogy.max_code_lines,
        instructions_tokens=instructions_tokens(tutor, instructor),
    )
    hidden = instructor is not None and bool(instructor.instructions or instructor.reference)
    return {
        "course": course,
        "hidden_instructions": hidden,
        "hidden_assignment": instructor.name if hidden and instructor else None,
    }


def with_tutor_md(answer: dict[str, Any], tutor_md: dict[str, Any]) -> dict[str, Any]:
    """The answer with the `TUTOR.md` found beside the notebook (`{path, text,
    truncated}`, text None for none), its front matter tightening the mode and
    the snippet limit as the gateway will."""
    course = dict(answer["course"])
    if tutor_md.get("text"):
        mode, lines, _ = parse_tutor_md(tutor_md["text"])
        if mode == "tutor":
            course["mode"] = "tutor"
        if lines is not None:
            course["max_code_lines"] = min(course["max_code_lines"], lines)
    return {**answer, "course": course, "assignment": tutor_md}
