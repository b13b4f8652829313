"""The tables of breakout groups (migration 0003). Membership is not here: it is online-only.

On the shared ``metadata`` of ``store.tables`` so one schema describes the database.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from ..store.tables import metadata

# Apps other than the default one (whose key is the service's admin key).
group_apps = Table(
    "group_apps",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("max", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

# A max set for one group name of one app. Names can be long URLs: keyed by their hash.
group_limits = Table(
    "group_limits",
    metadata,
    Column("app_id", String(40), primary_key=True),
    Column("name_hash", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("max", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# What members said in a shard, as acknowledged (written in batches: see ``writer``).
group_messages = Table(
    "group_messages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("app_id", String(40), nullable=False),
    Column("guid", String(40), nullable=False),
    Column("group_name", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("uid", String(40), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("avatar", Text, nullable=True),
    Column("client_id", String(100), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

Index("ix_group_messages_guid_seq", group_messages.c.guid, group_messages.c.seq, unique=True)
