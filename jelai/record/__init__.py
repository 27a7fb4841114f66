"""The record: the event vocabulary and what an event must be before it is stored.

- `events.py`: the envelope and event types, validated against `schemas/`.
- `fast_schema.py`: compiled validators for the ingest hot path.
- `outcomes.py`: what became of a cell execution.
- `times.py`: event times bounded by the server's clock.
- `paths.py`: notebook paths as the contents manager names them.
- `policy.py`: the instructor's recording policy.
- `ingest.py`: what a posted batch becomes (used by both servers).
- `staff.py`: the fields only staff read, left out of what a student reads.

Nothing here knows about tornado or SQL.
"""
