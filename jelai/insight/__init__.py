"""Insight: analytics for instructors and the research export.

- `rules.py`: what each metric means, as pure functions.
- `metrics/`, `lineage.py`: one store read into those metrics, across renames.
- `analytics.py`: the per-student and class summaries the dashboard shows.
- `export.py`, `pseudonyms.py`, `datadict.py`: the research export.
- `renames.py`: a notebook's identity across renames.
- `sources.py`: which store, and whose rows in it, a reader reads.

Nothing here knows about tornado.
"""
