"""Apps: who may make groups, with which key, and how large their shards get.

The service's admin key is the key of the app ``"default"``. More apps, each with its
own key and default ``max``, are made with the admin key; a max can also be set for one
group name. Apps and maxes are few and read on every join, so they live in memory and
are written through to the database (they survive a restart; keys are kept hashed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select

from ...errors import NotFound
from ..domain.limits import Limits
from ..store import Store
from . import rules
from .tables import group_apps, group_limits


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class App:
    """One app: its groups never mix with another app's."""

    id: str
    name: str
    max: int
    limits: dict[str, int] = field(default_factory=dict)  # group name -> its max

    def max_for(self, name: str) -> int:
        return self.limits.get(name, self.max)

    def to_json(self) -> dict[str, object]:
        return {"app_id": self.id, "name": self.name, "max": self.max}


class Apps:
    """Every app of this service, in memory, written through to the store."""

    def __init__(
        self,
        store: Store,
        admin_key: str,
        default_max: int,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.admin_key = admin_key
        self.limits = limits or Limits()
        self.clock = clock
        self.default = App(rules.DEFAULT_APP, rules.DEFAULT_APP, rules.shard_max(default_max))
        self._by_id: dict[str, App] = {self.default.id: self.default}
        self._by_key_hash: dict[str, App] = {}

    async def load(self) -> None:
        """Read the apps and per-name maxes written by earlier runs."""
        async with self.store.engine.connect() as conn:
            for row in (await conn.execute(select(group_apps))).all():
                app = App(row.id, row.name, row.max)
                self._by_id[app.id] = app
                self._by_key_hash[row.key_hash] = app
            for row in (await conn.execute(select(group_limits))).all():
                if row.app_id in self._by_id:
                    self._by_id[row.app_id].limits[row.name] = row.max

    def is_admin(self, key: str) -> bool:
        return hmac.compare_digest(key.encode(), self.admin_key.encode())

    def for_key(self, key: str) -> App | None:
        """The app whose key this is (the admin key is the default app's), or None."""
        if self.is_admin(key):
            return self.default
        return self._by_key_hash.get(_hash(key))

    def get(self, app_id: str) -> App:
        app = self._by_id.get(app_id)
        if app is None:
            raise NotFound(f"no app with id '{app_id}'")
        return app

    async def create(self, name: object, max_size: object | None) -> tuple[App, str]:
        """A new app; its key is in the answer only (the store keeps its hash)."""
        clean = self.limits.name(name, "app name")
        app = App("app_" + secrets.token_hex(8), clean, self.default.max)
        if max_size is not None:
            app.max = rules.shard_max(max_size)
        key = rules.new_app_key()
        async with self.store._writing() as conn:  # queued with every other write on SQLite
            await conn.execute(
                insert(group_apps).values(
                    id=app.id,
                    name=app.name,
                    key_hash=_hash(key),
                    max=app.max,
                    created_at=self.clock(),
                )
            )
        self._by_id[app.id] = app
        self._by_key_hash[_hash(key)] = app
        return app, key

    async def set_max(self, app: App, name: object, max_size: object) -> tuple[str, int]:
        """The max of one group name of ``app`` (for placements from now on)."""
        clean = rules.group_name(name)
        value = rules.shard_max(max_size)
        name_hash = _hash(clean)
        async with self.store._writing() as conn:
            await conn.execute(
                delete(group_limits).where(
                    group_limits.c.app_id == app.id, group_limits.c.name_hash == name_hash
                )
            )
            await conn.execute(
                insert(group_limits).values(
                    app_id=app.id,
                    name_hash=name_hash,
                    name=clean,
                    max=value,
                    updated_at=self.clock(),
                )
            )
        app.limits[clean] = value
        return clean, value
