"""Creating the async engine for SQLite (WAL, foreign keys) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ...errors import InvalidInput


def database_url(db: str | Path) -> str:
    """Turn what a user types (a path, ``sqlite:///…``, ``postgresql://…``) into an async URL."""
    text = str(db)
    if "://" not in text:
        return f"sqlite+aiosqlite:///{Path(text).expanduser().resolve()}"
    url = make_url(text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return str(url.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise InvalidInput(f"unsupported database '{backend}': use a SQLite path or postgresql://")


def make_engine(db: str | Path, *, schema: str | None = None) -> AsyncEngine:
    """An engine for ``db``; on PostgreSQL, ``schema`` puts every table in that schema."""
    url = database_url(db)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers work during a write
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(
        url, connect_args=connect_args, pool_size=10, max_overflow=20, pool_pre_ping=True
    )
