"""Alembic migrations of the console's database (the bot's database: leads, console tables, ...).

Why a programmatic runner and no alembic.ini: the console, its CLI (``python -m console
migrate``) and the tests all call :func:`upgrade` with a database URL; nothing depends on the
working directory. The version table is ``console_alembic_version`` so it cannot collide with
another tool's ``alembic_version`` in a shared database.

Every revision is idempotent with respect to tables the bot creates itself on first use
(``create_all``): it checks ``sqlalchemy.inspect(bind).has_table(...)`` before creating one.

- :mod:`console.migrations.env` -- the Alembic environment (online migrations only); revisions are in
  ``versions/`` (not a package).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "console_alembic_version"


def alembic_config(db_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation: a "%" in a password must be doubled
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    cfg.attributes["db_url"] = db_url
    return cfg


def upgrade(db_url: str, revision: str = "head") -> None:
    """Bring the database at ``db_url`` to ``revision`` (default: the newest). A no-op if it is there."""
    command.upgrade(alembic_config(db_url), revision)


def downgrade(db_url: str, revision: str) -> None:
    command.downgrade(alembic_config(db_url), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(db_url: str) -> Optional[str]:
    from policy_kb.db import get_engine

    with get_engine(db_url).connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
