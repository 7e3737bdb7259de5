"""Credentials in a SPARQL store's URL (``http://user:pw@host/...``): the authentication they
give httpx, and the URL as logs may show it.

Why a module of its own: it needs httpx, which the server loads only when it talks to an
external store (`kg serve --sparql-endpoint`, `kg publish`), not with kg.query.remote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator

import httpx


class ChallengeAuth(httpx.Auth):
    """User and password for whatever the server asks: Digest (Virtuoso) or Basic.

    Built from the user info of a store URL (``http://user:pw@host/...``), which is removed
    from the URL itself. The first request goes without credentials; a 401 is answered once.
    """

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        if challenge.startswith("digest"):
            flow = httpx.DigestAuth(self.user, self.password).auth_flow(request)
            next(flow)  # the unauthenticated request: already sent, and this is its 401
            authed = flow.send(response)
            response = yield authed
            with contextlib.suppress(StopIteration):
                flow.send(response)
            return
        yield from httpx.BasicAuth(self.user, self.password).auth_flow(request)


def split_credentials(url: str) -> tuple[str, httpx.Auth | None]:
    """(url without user info, auth for it or None)."""
    parsed = httpx.URL(url)
    if not parsed.username:
        return url, None
    bare = str(parsed.copy_with(username=None, password=None))
    return bare, ChallengeAuth(parsed.username, parsed.password or "")


def redact(url: str) -> str:
    """The URL as it may appear in logs and messages: without a password."""
    parsed = httpx.URL(url)
    if not parsed.password:
        return url
    return str(parsed.copy_with(username=parsed.username, password="***"))
