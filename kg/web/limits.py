"""ASGI middleware that bounds what one request or one client may ask of the server.

- ``BodyLimit``: every route refuses a body over ``max_body_bytes`` with 413: from the
  Content-Length before reading anything, and again while the body streams in (chunked or
  lying about its length), so no handler ever buffers more than the limit; a body that
  arrives too slowly is 408.
- ``PublicOrigin``: the server never builds a URL from the client's Host header. The scope's
  scheme and Host are replaced by the configured public origin (or, without one, by the
  address the connection came in on), so the service description, the reconciliation
  manifest and preview, and Starlette's trailing-slash redirects name the service itself;
  with a public origin configured, a request for another host is refused (400).
- ``SparqlRateLimit``: a token bucket per client address on /sparql (429 with Retry-After),
  with a bounded number of buckets.

Why pure ASGI: like kg.web.security, they only look at the scope and wrap ``receive``, which
costs nothing measurable on the cached SPARQL answers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections import OrderedDict

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.cache import memoize

#: Paths answered whatever the Host: a load balancer's health check names the replica's
#: address, not the public host, and the answer reflects nothing.
HOST_EXEMPT_PATHS = ("/healthz",)


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(
        message + "\n",
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


class _BodyRefused(Exception):
    """The body broke a limit; `response` says which."""

    def __init__(self, response: PlainTextResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


#: Bytes of body that earn one more second of `body_timeout` (a slow link may send a large
#: body slowly, but must keep sending).
BYTES_PER_EXTRA_SECOND = 64 * 1024


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413) or too slow to arrive (408), then close.

    Slow: the body must be complete `timeout` seconds after the head, plus a second per
    BYTES_PER_EXTRA_SECOND received, so a client that drips a body holds its connection for
    a bounded time (a slow POST is slowloris after the head).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def _too_large(self) -> PlainTextResponse:
        # Connection: close, so the server does not go on reading the rest of the body
        return _refusal(
            413,
            f"the request body is larger than the limit of {self.max_bytes} bytes",
            {"Connection": "close"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value.strip()
                if not declared.isdigit():
                    response = _refusal(400, "Content-Length must be a number of bytes")
                    await response(scope, receive, send)
                    return
                if int(declared) > self.max_bytes:
                    await self._too_large()(scope, receive, send)
                    return
        began = time.monotonic()
        received = 0
        complete = False
        refused: _BodyRefused | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, complete, refused
            if complete:
                return await receive()  # e.g. waiting for a disconnect while streaming
            deadline = began + self.timeout + received / BYTES_PER_EXTRA_SECOND
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    message = await receive()
            except TimeoutError:
                refused = _BodyRefused(
                    _refusal(
                        408,
                        "the request body did not arrive in time (the limit is "
                        f"{self.timeout:g} s plus 1 s per {BYTES_PER_EXTRA_SECOND} bytes)",
                        {"Connection": "close"},
                    )
                )
                raise refused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    refused = _BodyRefused(self._too_large())
                    raise refused
            else:
                complete = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return  # whatever the handler made of the error, the client gets the refusal
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyRefused:
            if started:
                raise
        if refused is not None and not started:
            await refused.response(scope, receive, send)


def _netloc(server: tuple[str, int | None] | None, scheme: str) -> str:
    """host[:port] of a socket address, as a Host header would write it."""
    if not server:
        return "localhost"
    host, port = server[0], server[1]
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


class PublicOrigin:
    """Make every URL the app builds name the public origin, never the client's Host."""

    def __init__(self, app: ASGIApp, public_url: str | None) -> None:
        self.app = app
        self.scheme: str | None = None
        self.netloc = b""
        self.allowed: frozenset[bytes] = frozenset()
        if public_url:
            scheme, _, netloc = public_url.partition("://")
            self.scheme, self.netloc = scheme, netloc.encode("ascii")
            default = "443" if scheme == "https" else "80"
            names = {netloc, netloc if ":" in netloc.rsplit("]", 1)[-1] else f"{netloc}:{default}"}
            self.allowed = frozenset(n.lower().encode("ascii") for n in names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) > 1:
            await _refusal(400, "a request may have only one Host header")(scope, receive, send)
            return
        if self.scheme is None:
            scheme = scope.get("scheme", "http")
            netloc = _netloc(scope.get("server"), scheme).encode("ascii")
        else:
            if scope.get("path") not in HOST_EXEMPT_PATHS and (
                not hosts or hosts[0].strip().lower() not in self.allowed
            ):
                message = f"this server answers for {self.netloc.decode()} only"
                await _refusal(400, message)(scope, receive, send)
                return
            scheme, netloc = self.scheme, self.netloc
        headers = [(n, v) for n, v in scope["headers"] if n != b"host"]
        headers.append((b"host", netloc))
        await self.app({**scope, "scheme": scheme, "headers": headers}, receive, send)


#: The scope key under which a layer in front (kg.web.replay, kg.web.protocol) hands on the
#: wait it already took a token for, so a request never takes two.
RATE_WAIT_KEY = "kg.rate_wait"


class TokenBuckets:
    """Token buckets keyed by client, at most `max_clients` of them (least recent dropped).

    A dropped client starts again with a full bucket, which only ever errs in its favour;
    IPv6 clients are keyed by their /64, the block one subscriber usually holds.
    """

    def __init__(self, rate: float, burst: int, max_clients: int = 65_536) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @staticmethod
    @memoize(256 * 1024)  # parsing an address costs more than the rest of a cached answer
    def key(address: str) -> str:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address[:64]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
            return str(ipaddress.IPv6Network((ip, 64), strict=False))
        return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)

    def take(self, address: str, now: float | None = None) -> float:
        """Take one token for `address`: 0.0 if it may go on, else seconds until it may."""
        now = time.monotonic() if now is None else now
        key = self.key(address)
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    def take_client(self, client: tuple[str, int] | None) -> float:
        """take() for a (host, port) client as ASGI and uvicorn give it, if any."""
        return self.take(client[0] if client else "")

    def wait_of(self, scope: Scope) -> float:
        """This request's wait: the one a layer in front took a token for, else one taken
        now (and recorded in the scope for the layers behind)."""
        wait = scope.get(RATE_WAIT_KEY)
        if wait is None:
            wait = scope[RATE_WAIT_KEY] = self.take_client(scope.get("client"))
        return float(wait)

    def __len__(self) -> int:
        return len(self._buckets)


class SparqlRateLimit:
    """A per-client request rate on /sparql; other paths pass untouched."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, path: str = "/sparql") -> None:
        self.app = app
        self.path = path
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path and scope["method"] != "OPTIONS":
            wait = self.buckets.wait_of(scope)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                message = (
                    f"too many SPARQL requests from your address: at most "
                    f"{self.buckets.rate:g} per second on average; retry in {retry} s"
                )
                response = _refusal(
                    429, message, {"Retry-After": str(retry), "Access-Control-Allow-Origin": "*"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
