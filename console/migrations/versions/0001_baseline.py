"""Baseline: the tables the bot already created before the console existed.

leads, lead_erasure_requests (lead_store.leads / lead_store.erasure), unanswered_questions
(policy_kb.unanswered), zalo_oa_tokens, zalo_seen_events, zalo_unfollowed_users
(bot.channels.zalo_tokens). Frozen copies of those models as of issue 13: a migration must not
change meaning when a model changes later. Each table (and its indexes) is created only when
missing, because the bot creates them itself on first use. Knowledge-base tables are not
migrated: ``python -m policy_kb build`` rebuilds them.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("leads"):
        op.create_table(
            "leads",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(120), nullable=False),
            sa.Column("phone_e164", sa.String(16), nullable=False),
            sa.Column("province", sa.String(64)),
            sa.Column("business_type", sa.String(64)),
            sa.Column("industry", sa.String(64)),
            sa.Column("activity", sa.String(64)),
            sa.Column("estimated_cost_vnd", sa.BigInteger),
            sa.Column("verdict", sa.String(64)),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("conversation_id", sa.String(128), nullable=False),
            sa.Column("consent_version", sa.String(32), nullable=False),
            sa.Column("consent_at", sa.DateTime, nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("updated_at", sa.DateTime, nullable=False),
            sa.Column("contacted_at", sa.DateTime),
            sa.Column("contacted_by", sa.String(120)),
            sa.Column("note", sa.Text),
            sa.UniqueConstraint("conversation_id", "phone_e164", name="uq_leads_conversation_phone"),
        )
        op.create_index("ix_leads_province_created", "leads", ["province", "created_at"])
        op.create_index("ix_leads_phone_e164", "leads", ["phone_e164"])
        op.create_index("ix_leads_created_at", "leads", ["created_at"])

    if _missing("lead_erasure_requests"):
        op.create_table(
            "lead_erasure_requests",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("requested_at", sa.DateTime, nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("conversation_id", sa.String(128), nullable=False),
            sa.Column("phone_hash", sa.String(160), nullable=False),
            sa.Column("processed_at", sa.DateTime),
            sa.Column("processed_by", sa.String(120)),
            sa.Column("erased", sa.Integer),
        )
        op.create_index("ix_lead_erasure_requests_requested_at", "lead_erasure_requests", ["requested_at"])

    if _missing("unanswered_questions"):
        op.create_table(
            "unanswered_questions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("asked_at", sa.DateTime, nullable=False),
            sa.Column("channel", sa.String(32), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("best_score", sa.Float, nullable=False),
            sa.Column("best_record", sa.String(160)),
            sa.Column("intent", sa.String(64)),
            sa.Column("handled", sa.Boolean, nullable=False),
            sa.Column("note", sa.Text),
        )
        op.create_index("ix_unanswered_questions_asked_at", "unanswered_questions", ["asked_at"])

    if _missing("zalo_oa_tokens"):
        op.create_table(
            "zalo_oa_tokens",
            sa.Column("app_id", sa.String(64), primary_key=True),
            sa.Column("access_token", sa.Text, nullable=False),
            sa.Column("refresh_token", sa.Text, nullable=False),
            sa.Column("expires_at", sa.DateTime, nullable=False),
            sa.Column("seed_fingerprint", sa.String(64)),
            sa.Column("updated_at", sa.DateTime, nullable=False),
        )
    if _missing("zalo_seen_events"):
        op.create_table(
            "zalo_seen_events",
            sa.Column("event_key", sa.String(160), primary_key=True),
            sa.Column("received_at", sa.DateTime, nullable=False),
        )
        op.create_index("ix_zalo_seen_events_received_at", "zalo_seen_events", ["received_at"])
    if _missing("zalo_unfollowed_users"):
        op.create_table(
            "zalo_unfollowed_users",
            sa.Column("user_id", sa.String(128), primary_key=True),
            sa.Column("unfollowed_at", sa.DateTime, nullable=False),
        )


def downgrade() -> None:
    """Deliberately nothing: these tables hold the bot's data and existed before the console."""
