"""Breakout groups: apps and their keys, per-name shard sizes, shard messages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_apps",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("max", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "group_limits",
        sa.Column("app_id", sa.String(40), primary_key=True),
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("max", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "group_messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("app_id", sa.String(40), nullable=False),
        sa.Column("guid", sa.String(40), nullable=False),
        sa.Column("group_name", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("uid", sa.String(40), nullable=False),
        sa.Column("sender", sa.String(100), nullable=False),
        sa.Column("avatar", sa.Text, nullable=True),
        sa.Column("client_id", sa.String(100), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_group_messages_guid_seq", "group_messages", ["guid", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_group_messages_guid_seq", "group_messages")
    for table in ("group_messages", "group_limits", "group_apps"):
        op.drop_table(table)
