"""`jelai eval`: how a model tutors, measured before a course and after a prompt change.

- `scenarios.py`: the scenarios (`scenarios/*.json`, docs/eval.md gives the
  format): a notebook, its recent events, the student's question, the
  assignment's instructions and reference solution, what a good reply does.
- `context.py`: the page's request for a scenario, made by the tutor page's
  own context builder run with Node (`context.js`, `builder/`).
- `runner.py`: sends it through the gateway (`gateway/proxy.py`: prompt
  completion, guardrails, routing) to each model and keeps what came back.
- `checks.py` (with `language.py`): the documented checks of each reply.
- `report.py`: Markdown, HTML and a Vega-Lite chart, several models side by side.
- `command.py`: the command line (`jelai eval`).
"""
