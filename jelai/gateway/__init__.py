"""The model gateway: the only way from the tutor to a model server.

- `proxy.py`: which requests pass, and how the reply is relayed.
- `upstream.py`: one streamed HTTP request to a model server.
- `exchange.py`: the record of one chat exchange.
- `guardrails.py`: what of a reply the student may get in tutor mode, with
  `fences.py` (long code blocks cut on the stream) and `similarity.py` (the
  rule that tells a reply giving the reference solution away).
- `context_window.py`: the model's context window and the budget in it.
- `instructions.py`: the `TUTOR.md` layers that apply to a notebook.
- `handler.py`: `ModelProxy`, the tornado side of it, used by a standalone
  server and by the course's service alike.
"""
