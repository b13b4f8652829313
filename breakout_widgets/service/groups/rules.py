"""The rules of breakout groups, without I/O: what a join may ask for, what a guid looks like.

Everything here is plain Python, so the HTTP routes, the WebSocket endpoint and the
tests apply exactly the same checks.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from ...errors import InvalidInput
from ..domain.limits import Limits

ANONYMOUS = "Anonymous"
MAX_GROUP_NAME = 1000  # a page URL is the usual name, so longer than a person's name
MAX_URL = 2000  # avatars and icons are URLs (or short strings)
MAX_MAX = 1_000_000  # the largest ``max`` a shard may be given
GROUP_TOKEN_PREFIX = "bwg_"
APP_KEY_PREFIX = "bwapp_"
DEFAULT_APP = "default"
TYPE = "public"  # the only group type so far
ROLE = "default"  # every member has the same role so far

_GUID = re.compile(r"g_[0-9a-f]{16}")
_GROUP_NAMES = Limits(max_name=MAX_GROUP_NAME)


def new_guid() -> str:
    return "g_" + secrets.token_hex(8)


def new_uid() -> str:
    return "u_" + secrets.token_hex(8)


def new_member_token() -> str:
    return GROUP_TOKEN_PREFIX + secrets.token_urlsafe(24)


def new_app_key() -> str:
    return APP_KEY_PREFIX + secrets.token_urlsafe(32)


def is_guid(value: str) -> bool:
    """True for a string shaped like a shard's guid (it may still not exist)."""
    return _GUID.fullmatch(value) is not None


def require_guid(value: str) -> str:
    """A guid, or InvalidInput saying that messages never go to a group *name*."""
    if not is_guid(value):
        shown = value if len(value) <= 200 else value[:200] + "…"
        raise InvalidInput(
            f"messages go to a shard's guid, not to the group name {shown!r}: join the "
            "group and use the guid from the answer"
        )
    return value


def group_name(value: object) -> str:
    """The name a join groups by (trimmed, 1..MAX_GROUP_NAME characters, no control chars)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(
            'the group needs a name: send {"group": {"name": …}} (the page URL is the usual name)'
        )
    return _GROUP_NAMES.name(value, "group name")


def user_name(value: object, limits: Limits) -> str:
    """A member's display name; no name at all is "Anonymous"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ANONYMOUS
    return limits.name(value, "user name")


def url_field(value: object, what: str) -> str | None:
    """An optional avatar or icon: a string of at most MAX_URL characters, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"the {what} must be a string")
    if len(value) > MAX_URL:
        raise InvalidInput(f"the {what} has {len(value)} characters; at most {MAX_URL} are allowed")
    return value


def shard_max(value: object) -> int:
    """A shard size limit: a whole number from 1 to MAX_MAX."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MAX:
        raise InvalidInput(f"max must be a whole number from 1 to {MAX_MAX}")
    return value


def _fields(value: object, allowed: frozenset[str], what: str) -> dict[str, object]:
    """An optional JSON object with only known fields."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be an object")
    unknown = set(value) - allowed
    if unknown:
        raise InvalidInput(f"{what} has unknown fields {sorted(unknown)}; known: {sorted(allowed)}")
    return value


_BODY = frozenset({"group", "user"})
_GROUP = frozenset({"name", "icon", "type"})
_USER = frozenset({"name", "avatar"})


@dataclass(frozen=True)
class JoinRequest:
    """A checked join: who (name, avatar) wants into which group (name, icon)."""

    group: str
    icon: str | None
    user: str
    avatar: str | None

    @classmethod
    def check(cls, body: object, limits: Limits) -> JoinRequest:
        """``{"user": {"name", "avatar"}, "group": {"name", "icon"}}``, both optional,
        but a group without a name is refused."""
        body = _fields(body, _BODY, "the body")
        group = _fields(body.get("group"), _GROUP, "group")
        user = _fields(body.get("user"), _USER, "user")
        if group.get("type") not in (None, TYPE):
            raise InvalidInput(f"group type must be {TYPE!r} (the only type so far)")
        return cls(
            group=group_name(group.get("name")),
            icon=url_field(group.get("icon"), "group icon"),
            user=user_name(user.get("name"), limits),
            avatar=url_field(user.get("avatar"), "avatar"),
        )
