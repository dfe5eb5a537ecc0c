"""Alembic environment: online migrations only, on the URL given by :func:`console.migrations.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from console.migrations import VERSION_TABLE

config = context.config


def run() -> None:
    url = config.attributes.get("db_url") or config.get_main_option("sqlalchemy.url")
    connectable = create_engine(url, future=True)
    try:
        with connectable.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=None,
                version_table=VERSION_TABLE,
                render_as_batch=connection.dialect.name == "sqlite",
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        connectable.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run `python -m console migrate`")
run()
