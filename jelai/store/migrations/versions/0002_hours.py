"""The `hours` summary table: per user, notebook and hour, the events, the
first and last event time, and the chat questions and hint requests, counted
from every stored event when the table is made.

The class summary reads each student's totals and the activity chart from it
(a row per hour instead of a row per minute).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jelai.store import summaries, tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hours",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("notebook", sa.Text, primary_key=True),
        sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.Column("first_ms", sa.BigInteger, nullable=False),
        sa.Column("last_ms", sa.BigInteger, nullable=False),
        sa.Column("questions", sa.BigInteger, nullable=False),
        sa.Column("hints", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    summaries.rebuild(op.get_bind(), (tables.hours,))


def downgrade() -> None:
    op.drop_table("hours")
