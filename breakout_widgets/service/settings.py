"""How a service instance is configured: database, data folder, admin key, limits."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_path

from .domain.limits import Limits

ADMIN_KEY_FILE = "admin_key"
DEFAULT_DB_FILE = "breakout.db"


def default_data_dir() -> Path:
    """``$BREAKOUT_WIDGETS_HOME`` or the user's data folder for breakout-widgets."""
    env = os.environ.get("BREAKOUT_WIDGETS_HOME")
    return Path(env).expanduser() if env else user_data_path("breakout-widgets")


def _env(name: str, default: float) -> float:
    raw = os.environ.get(f"BREAKOUT_WIDGETS_{name}")
    return float(raw) if raw else default


def load_or_create_admin_key(folder: Path) -> str:
    """The app's admin key: made on first start and kept (mode 600) in the data folder."""
    path = folder / ADMIN_KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = "bwadmin_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


@dataclass
class Settings:
    """Everything a service instance needs; missing values get their defaults in ``resolve``."""

    db: str | None = None  # a SQLite path or URL, or postgresql://…; default: data folder
    db_schema: str | None = None  # PostgreSQL schema for every table (tests, shared servers)
    data_dir: Path | None = None
    admin_key: str | None = None
    limits: Limits = field(default_factory=Limits.from_env)
    timer_poll: float = 5.0  # longest sleep of the deadline timer (other processes may add)
    presence_grace: float = 10.0  # offline once the last connection is gone this long
    idle_timeout: float = 60.0  # a connection that sends nothing (no ping) this long is closed
    send_queue: int = 1000  # messages queued per connection before it is cut off as too slow
    resume_window: int = 1000  # events a reconnecting client may catch up; more: reload
    chat_rate: float = 5.0  # messages per second per participant, on average
    chat_burst: float = 20.0
    # Breakout groups (docs/groups.md)
    group_max: int = field(default_factory=lambda: int(_env("GROUP_MAX", 1000)))  # per shard
    group_grace: float = field(default_factory=lambda: _env("GROUP_GRACE", 30.0))  # offline
    group_presence_interval: float = 1.0  # at most one count message per shard this often
    group_store_messages: bool = True  # write shard messages (batched) to the database
    # Several processes (docs/scale-out.md): None keeps everything in this process
    redis_url: str | None = None  # redis://…; default: $BREAKOUT_WIDGETS_REDIS_URL
    redis_prefix: str = "bw:"  # every Redis key and channel starts with it
    redis_ttl: float = 15.0  # a process that stops renewing its key is gone after this

    def resolve(self) -> Settings:
        data_dir = Path(self.data_dir) if self.data_dir else default_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        admin_key = (
            self.admin_key
            or os.environ.get("BREAKOUT_WIDGETS_ADMIN_KEY")
            or load_or_create_admin_key(data_dir)
        )
        db = self.db or os.environ.get("BREAKOUT_WIDGETS_DB") or str(data_dir / DEFAULT_DB_FILE)
        redis_url = self.redis_url or os.environ.get("BREAKOUT_WIDGETS_REDIS_URL") or None
        # replace() keeps every other field (presence_grace, send_queue, chat_rate, …).
        return replace(self, db=db, data_dir=data_dir, admin_key=admin_key, redis_url=redis_url)
