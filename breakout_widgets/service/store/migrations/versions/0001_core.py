"""Core schema: presets, meetings (main and rooms), breakouts, participants, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presets",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("permissions", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("class_id", sa.String(40), nullable=False, index=True),
        sa.Column("parent_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=True),
        sa.Column("breakout_id", sa.String(40), nullable=True, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "breakouts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "class_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False, index=True
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("closes_at", sa.Float, nullable=True),
        sa.Column("warning", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float, nullable=True),
        sa.Column("assignment", sa.JSON, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_breakouts_running", "breakouts", ["status", "closes_at"])
    op.create_table(
        "participants",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "class_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False, index=True
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("preset", sa.String(100), sa.ForeignKey("presets.name"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("meeting_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("room_id", sa.String(40), nullable=True),
        sa.Column("mic", sa.Boolean, nullable=False),
        sa.Column("camera", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("class_id", "name", name="uq_participant_name"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.String(40), sa.ForeignKey("meetings.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("meeting_id", "seq", name="uq_event_seq"),
    )


def downgrade() -> None:
    for table in ("events", "participants", "breakouts", "meetings", "presets"):
        op.drop_table(table)
