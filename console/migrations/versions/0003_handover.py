"""Live handover: handovers, handover_pending_replies (lead_store.handovers).

Frozen copy of those models as of issue 13. Each table (and its indexes) is created only when
missing: the bot creates them itself on first use (``ensure_handover_schema``). The partial unique
index (one open handover per conversation) is a plain ``WHERE closed_at IS NULL`` index on both
PostgreSQL and SQLite.

Revision ID: 0003_handover
Revises: 0002_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_handover"
down_revision = "0002_console"
branch_labels = None
depends_on = None

TABLES = ("handover_pending_replies", "handovers")
OPEN = sa.text("closed_at IS NULL")


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("handovers"):
        op.create_table(
            "handovers",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("conversation_id", sa.String(128), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("reason", sa.String(16), nullable=False),
            sa.Column("requested_at", sa.DateTime, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("first_reply_at", sa.DateTime),
            sa.Column("officer", sa.String(120)),
            sa.Column("closed_at", sa.DateTime),
            sa.Column("closed_by", sa.String(120)),
            sa.Column("paused_until", sa.DateTime),
        )
        op.create_index(
            "uq_handovers_open_conversation",
            "handovers",
            ["conversation_id"],
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
        op.create_index("ix_handovers_status_requested", "handovers", ["status", "requested_at"])
    if _missing("handover_pending_replies"):
        op.create_table(
            "handover_pending_replies",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("conversation_id", sa.String(128), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("queued_at", sa.DateTime, nullable=False),
        )
        op.create_index("ix_handover_pending_replies_conversation_id", "handover_pending_replies", ["conversation_id"])


def downgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        if sa.inspect(bind).has_table(name):
            op.drop_table(name)
