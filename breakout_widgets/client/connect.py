"""Finding the service from a notebook, and join links for students elsewhere.

``connect()`` is a notebook's first line: the service ``breakout-widgets lab`` started
for it, or else an embedded one for this kernel. A join link carries the service's
address and one participant's token, so a student can join with one string::

    link = bw.join_link(cls, ada)   # repr hides the token; print(link) shows it
    me = bw.join(str(link))         # on the student's machine
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from .models import Invite
from .service import ENV_PUBLIC_URL, ENV_URL, Service

if TYPE_CHECKING:
    from .classroom import Classroom

# link = <service url> + JOIN_PATH + <token>: a browser never sends a fragment anywhere
JOIN_PATH = "/join#"

_lock = threading.Lock()
_shared: Service | None = None  # the embedded fallback, one per process


def connect() -> Service:
    """The service this notebook should use.

    Under ``breakout-widgets lab`` that is the service it started (``Service.from_env``).
    Elsewhere (a plain Jupyter, nbval, a script) an embedded service starts in this
    process, once: later calls return the same one. It says so on stderr when it starts.
    """
    global _shared
    if os.environ.get(ENV_URL):
        return Service.from_env()
    with _lock:
        if _shared is None or not _shared.running:
            _shared = Service.embedded()
            print(
                "breakout-widgets: not started by `breakout-widgets lab`; running an "
                "embedded service in this kernel (its data goes when the kernel stops)",
                file=sys.stderr,
                flush=True,
            )
        return _shared


@atexit.register
def _stop_shared() -> None:
    if _shared is not None:
        _shared.stop()  # removes its temporary folder


@dataclass(frozen=True, repr=False)
class JoinLink:
    """How one student joins: the service's address and their token, as one string.

    ``str(link)`` (or ``print(link)``) is the link to hand to the student; the repr hides
    the token, so a notebook that merely shows a link does not store a secret.
    """

    url: str
    token: str
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.url}{JOIN_PATH}{self.token}"

    def __repr__(self) -> str:
        who = f" for {self.name!r}" if self.name else ""
        return f"<JoinLink{who}: print() it to show the link (it holds the token)>"

    @classmethod
    def parse(cls, link: str, url: str | None = None) -> JoinLink:
        """Read a link (``http://host:port/join#bw_…``) or a bare token.

        A bare token needs ``url``, or ``BREAKOUT_WIDGETS_URL`` in the environment.
        """
        text = link.strip()
        if JOIN_PATH in text:
            base, token = text.rsplit(JOIN_PATH, 1)
            if base.startswith(("http://", "https://")) and token:
                return cls(base, token)
            raise InvalidInput("not a join link: expected http(s)://host:port/join#token")
        if "://" in text or "/" in text or not text:
            raise InvalidInput("not a join link: expected http(s)://host:port/join#token")
        where = url or os.environ.get(ENV_URL)
        if not where:
            raise InvalidInput(
                "a token alone does not say where the service is: pass url=, or use the "
                "whole join link the instructor's notebook shows"
            )
        return cls(where.rstrip("/"), text)


def join_link(
    where: Service | Classroom | str,
    invite: Invite | str,
    *,
    public_url: str | None = None,
) -> JoinLink:
    """The join link of ``invite`` (an ``Invite`` or a token) for the service of ``where``
    (a ``Service``, a ``Classroom`` or a URL).

    The address in the link is ``public_url`` if given, else the service's public URL
    (``breakout-widgets lab --public-url``, passed on as ``BREAKOUT_WIDGETS_PUBLIC_URL``),
    else its URL.
    """
    if isinstance(invite, Invite):
        token, name = invite.token, invite.name
    else:
        token, name = invite, None
    if public_url is None:
        public_url = _public_url_of(where)
    return JoinLink(public_url.rstrip("/"), token, name)


def _public_url_of(where: Service | Classroom | str) -> str:
    if isinstance(where, Service):
        return where.public_url
    url = (where if isinstance(where, str) else where.url).rstrip("/")
    # The service lab started: students reach it at the public address it was given.
    if url == os.environ.get(ENV_URL, "").rstrip("/") and os.environ.get(ENV_PUBLIC_URL):
        return os.environ[ENV_PUBLIC_URL]
    return url


def join(link: JoinLink | Invite | str, *, url: str | None = None) -> Classroom:
    """A student's controller from a join link (or a token with ``url``, or an Invite).

    ``bw.join("http://10.0.0.5:8765/join#bw_…")`` is ``bw.Classroom.join(url, token)``.
    """
    from .classroom import Classroom

    if isinstance(link, Invite):
        link = JoinLink.parse(link.token, url)
    elif isinstance(link, str):
        link = JoinLink.parse(link, url)
    return Classroom.join(link.url, link.token)
