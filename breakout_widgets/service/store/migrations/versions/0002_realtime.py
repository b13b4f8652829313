"""Realtime: chat messages, polls and votes, the help queue, the timer's warning flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("breakouts") as batch:
        batch.add_column(sa.Column("warned", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("meeting_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("participant_id", sa.String(40), nullable=True),
        sa.Column("sender", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("participant_id", "client_id", name="uq_message_client_id"),
    )
    op.create_index("ix_messages_meeting_seq", "messages", ["meeting_id", "seq"])
    op.create_table(
        "polls",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("class_id", sa.String(40), nullable=False, index=True),
        sa.Column("meeting_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("creator_id", sa.String(40), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float, nullable=True),
    )
    op.create_table(
        "votes",
        sa.Column("poll_id", sa.String(40), sa.ForeignKey("polls.id"), primary_key=True),
        sa.Column("participant_id", sa.String(40), primary_key=True),
        sa.Column("option", sa.Integer, nullable=False),
        sa.Column("voted_at", sa.Float, nullable=False),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("class_id", sa.String(40), nullable=False, index=True),
        sa.Column("participant_id", sa.String(40), nullable=False),
        sa.Column("meeting_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("resolved_at", sa.Float, nullable=True),
        sa.Column("resolved_by", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    for table in ("help_requests", "votes", "polls", "messages"):
        op.drop_table(table)
    with op.batch_alter_table("breakouts") as batch:
        batch.drop_column("warned")
