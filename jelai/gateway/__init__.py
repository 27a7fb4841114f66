"""The model gateway: the only way from the tutor to a model server.

- `proxy.py`: which requests pass, and how the reply is relayed.
- `prompt.py`: the tutor's system prompt, made here from the course's
  settings, the pedagogy and the instructor layers, with `wording.py` (the
  personas and the hint ladder, word for word) and `tokens.py` (the token
  estimate the browser shares).
- `completed_chat.py`: a chat request with that prompt put first, and what
  it counts to.
- `instructor_share.py`: the instructor-only layer's fixed share, all a
  student learns of its size (the counts they are told, the model's counts
  they get back, the quota's).
- `assignments.py`: the instructor-only course folder (instructions and
  reference solutions per assignment, nbgrader's layout understood).
- `page.py`: what the tutor's page may know of a notebook's instructions.
- `upstream.py`: one streamed HTTP request to a model server.
- `upstreams.py`: the model servers (`c.JelaiTutor.upstreams`), their health,
  and the rule that picks the one for a request.
- `routing.py`: sends a request there, with failover; merges model lists.
- `openai.py`: Ollama's chat API to and from an OpenAI-compatible server's.
- `exchange.py`: the record of one chat exchange.
- `guardrails.py`: what of a reply the student may get, with `fences.py`
  (long code blocks cut on the stream in tutor mode) and `similarity.py`
  (the rule that tells a reply giving a reference solution away, in every
  mode), which reads code out of comments and strings (`unwrap.py`) and a
  reply's text as it grows (`reading.py`).
- `context_window.py`: the model's context window and the budget in it.
- `instructions.py`: the `TUTOR.md` layers that apply to a notebook.
- `quota.py`: questions per hour and tokens per day, per student and course.
- `queue.py`: the fair queue: a few generations at once, students in turn.
- `groups.py`: the queue's lines: one per model group of upstreams.
- `admission.py`: quotas and queue as the course's service applies them.
- `handler.py`: `ModelProxy`, the tornado side of it, used by a standalone
  server and by the course's service alike.
"""
