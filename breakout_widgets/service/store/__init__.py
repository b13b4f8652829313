"""Persistence: one SQLAlchemy (async) store for SQLite and PostgreSQL."""

from .engine import database_url, make_engine
from .store import Store

__all__ = ["Store", "database_url", "make_engine"]
