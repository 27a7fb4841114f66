"""The model gateway: the only way from the tutor to a model server.

- `proxy.py`: which requests pass, and how the reply is relayed.
- `prompt.py`: the tutor's system prompt, completed here from the course's
  settings, the pedagogy and the instructor layers.
- `assignments.py`: the instructor-only course folder (instructions and
  reference solutions per assignment, nbgrader's layout understood).
- `page.py`: what the tutor's page may know of a notebook's instructions.
- `upstream.py`: one streamed HTTP request to a model server.
- `exchange.py`: the record of one chat exchange.
- `context_window.py`: the model's context window and the budget in it.
- `instructions.py`: the `TUTOR.md` layers that apply to a notebook.
- `handler.py`: `ModelProxy`, the tornado side of it, used by a standalone
  server and by the course's service alike.
"""
