"""Console: officers, console_sessions, login_attempts, console_audit_log.

Revision ID: 0002_console
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_console"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

TABLES = ("console_audit_log", "login_attempts", "console_sessions", "officers")


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("officers"):
        op.create_table(
            "officers",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("display_name", sa.String(120)),
            sa.Column("password_hash", sa.String(255), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("last_login_at", sa.DateTime),
            sa.UniqueConstraint("username", name="uq_officers_username"),
            sa.CheckConstraint("role IN ('officer', 'admin')", name="ck_officers_role"),
        )
    if _missing("console_sessions"):
        op.create_table(
            "console_sessions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column(
                "officer_id",
                sa.Integer,
                sa.ForeignKey("officers.id", ondelete="CASCADE", name="fk_console_sessions_officer"),
                nullable=False,
            ),
            sa.Column("csrf_token", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("expires_at", sa.DateTime, nullable=False),
            sa.Column("last_seen_at", sa.DateTime, nullable=False),
            sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
        )
        op.create_index("ix_console_sessions_officer_id", "console_sessions", ["officer_id"])
    if _missing("login_attempts"):
        op.create_table(
            "login_attempts",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime, nullable=False),
            sa.Column("account_key", sa.String(64), nullable=False),
            sa.Column("ip", sa.String(64), nullable=False),
            sa.Column("success", sa.Boolean, nullable=False),
        )
        op.create_index("ix_login_attempts_account_at", "login_attempts", ["account_key", "at"])
        op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"])
    if _missing("console_audit_log"):
        op.create_table(
            "console_audit_log",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime, nullable=False),
            sa.Column("officer", sa.String(64)),
            sa.Column("action", sa.String(48), nullable=False),
            sa.Column("target_type", sa.String(32), nullable=False),
            sa.Column("target_ids", sa.Text),
            sa.Column("count", sa.Integer),
            sa.Column("detail", sa.String(255)),
            sa.Column("ip", sa.String(64)),
        )
        op.create_index("ix_console_audit_log_at", "console_audit_log", ["at"])


def downgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        if sa.inspect(bind).has_table(name):
            op.drop_table(name)
