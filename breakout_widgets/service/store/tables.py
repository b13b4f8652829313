"""The database tables. Changing them needs a new migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

presets = Table(
    "presets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("permissions", JSON, nullable=False),  # list of permission names
    Column("created_at", Float, nullable=False),
)

# A main meeting (kind "main": the class) or a breakout room (kind "room").
meetings = Table(
    "meetings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("class_id", String(40), nullable=False, index=True),  # main meeting's id
    Column("parent_id", String(40), ForeignKey("meetings.id"), nullable=True),
    Column("breakout_id", String(40), nullable=True, index=True),
    Column("kind", String(10), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),  # state version (main only)
    Column("last_seq", Integer, nullable=False, default=0),  # last event seq here
    Column("created_at", Float, nullable=False),
)

breakouts = Table(
    "breakouts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("class_id", String(40), ForeignKey("meetings.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 1, 2, 3… within the class
    Column("status", String(10), nullable=False),
    Column("started_at", Float, nullable=True),
    Column("closes_at", Float, nullable=True),
    Column("warning", Float, nullable=False, default=60.0),
    Column("closed_at", Float, nullable=True),
    Column("assignment", JSON, nullable=True),  # room title -> participant ids, at close
    Column("created_at", Float, nullable=False),
    Column("warned", Boolean, nullable=False, default=False),  # timer warning sent
)

participants = Table(
    "participants",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("class_id", String(40), ForeignKey("meetings.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("preset", String(100), ForeignKey("presets.name"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("meeting_id", String(40), ForeignKey("meetings.id"), nullable=False),
    Column("room_id", String(40), nullable=True),
    Column("mic", Boolean, nullable=False, default=False),
    Column("camera", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("class_id", "name", name="uq_participant_name"),
)

# Every change, per meeting, numbered: the record of a meeting and what clients resume from.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_id", String(40), ForeignKey("meetings.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("meeting_id", "seq", name="uq_event_seq"),
)
messages = Table(
    "messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("meeting_id", String(40), ForeignKey("meetings.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # the seq of its chat_message event
    Column("participant_id", String(40), nullable=True),
    Column("sender", String(100), nullable=False),
    Column("client_id", String(100), nullable=True),  # a retried send finds its message
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("participant_id", "client_id", name="uq_message_client_id"),
)

polls = Table(
    "polls",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("class_id", String(40), nullable=False, index=True),
    Column("meeting_id", String(40), ForeignKey("meetings.id"), nullable=False),
    Column("creator_id", String(40), nullable=False),
    Column("question", String(500), nullable=False),
    Column("options", JSON, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("closed_at", Float, nullable=True),
)

votes = Table(
    "votes",
    metadata,
    Column("poll_id", String(40), ForeignKey("polls.id"), primary_key=True),
    Column("participant_id", String(40), primary_key=True),
    Column("option", Integer, nullable=False),
    Column("voted_at", Float, nullable=False),
)

help_requests = Table(
    "help_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("class_id", String(40), nullable=False, index=True),
    Column("participant_id", String(40), nullable=False),
    Column("meeting_id", String(40), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("resolved_at", Float, nullable=True),
    Column("resolved_by", String(40), nullable=True),
)

Index("ix_messages_meeting_seq", messages.c.meeting_id, messages.c.seq)
Index("ix_breakouts_running", breakouts.c.status, breakouts.c.closes_at)
