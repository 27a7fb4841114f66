"""Reads one event store into the metrics of `rules`.

Each event counts under the notebook it belongs to now, renames followed
(`lineage`). Nearly everything comes from the small tables the store keeps
per batch (`store.summaries`): event counts, first and last activity,
questions, hints and the hourly activity chart from `hours`; active time
from `activity` (per minute), remembered per notebook while its events stay
as many; runs and failures from `executions`, counted per pair and per cell
by the database; error names from `failures`; the stuck rule's recent runs
from the `events_type` index. No event's JSON is parsed: the columns the
store reads out of each event at ingest are enough. Every query is
SQLAlchemy Core and reads the same on SQLite and PostgreSQL.

- `read.py`: `read_store`, one store read concern by concern into a `Partial`.
- `partial.py`: `Partial`, what one store contributes to a summary.
- `where.py`: the where-clauses every query gets (the source's users, the
  notebook, the renamed paths left out), built once per shape.
- `activity.py`: events, first and last activity and the chart's buckets,
  from `hours` (or from the minutes), with `minutes.py` (each pair's minutes
  of `activity`) and `active_time.py` (the active time remembered per pair).
- `help_requests.py`: questions and hints per pair.
- `executions.py`: runs, failures and cells per pair and per cell, and the
  error names.
- `stuck.py`: the stuck rule over each failing pair's recent rows.
"""

from __future__ import annotations

from .partial import Partial
from .read import read_store

__all__ = ["Partial", "read_store"]
