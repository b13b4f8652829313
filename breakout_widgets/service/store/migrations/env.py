"""Alembic environment: migrations run only through ``Store.migrate()``, on its connection."""

from alembic import context

from breakout_widgets.service.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with breakout_widgets' Store.migrate(), not the CLI")

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
