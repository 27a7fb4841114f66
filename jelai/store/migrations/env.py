"""Alembic's environment for the store: run on a connection `migrate.upgrade` passes.

The connection arrives inside the transaction that holds the migration lock,
so Alembic's own `begin_transaction` joins it: the whole upgrade commits or
rolls back as one (SQLite and PostgreSQL both have transactional DDL).
"""

from __future__ import annotations

from alembic import context

from jelai.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
