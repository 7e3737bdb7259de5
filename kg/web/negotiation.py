"""HTTP content negotiation: pick one of the formats a route offers from an Accept header.

Why our own: the rules are short (RFC 9110 section 12.5.1) and every route needs the same
answer to the same header, so the parse is cached per header string and costs nothing on
hot paths. The header is the client's, so the caches are bounded by bytes (kg.cache), and
:class:`AcceptLimit` answers 400 to a header longer than any real client sends before
anything parses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from kg.cache import memoize
from kg.errors import HttpError


def _params(parts: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Media type parameters as sorted (lower-case name, unquoted value) pairs."""
    pairs = []
    for param in parts:
        name, eq, value = param.partition("=")
        if eq and name.strip():
            pairs.append((name.strip().lower(), value.strip().strip('"').lower()))
    return tuple(sorted(pairs))


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One element of an Accept header, e.g. ``text/*;q=0.5`` or ``text/plain;format=flowed``."""

    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    def specificity(self, media_type: str) -> int:
        """How specifically this range matches `media_type`: 2 + its parameter count exact,
        1 type/*, 0 */*, -1 no. A range with parameters matches only a media type that has
        them all (RFC 9110 section 12.5.1: ``text/plain;format=flowed`` is more specific
        than ``text/plain`` and says nothing of a bare ``text/plain``)."""
        essence, *rest = media_type.split(";")
        kind, _, sub = essence.strip().lower().partition("/")
        if self.params and not set(self.params) <= set(_params(rest)):
            return -1
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 + len(self.params) if self.subtype == sub else -1


def _parse_q(value: str) -> float | None:
    try:
        q = float(value)
    except ValueError:
        return None
    return q if 0.0 <= q <= 1.0 else None


#: Bytes of the parse and choice caches; a header whose parse is larger is parsed each time.
CACHE_BYTES = 1024 * 1024
CACHE_ENTRY_BYTES = 16 * 1024


@memoize(CACHE_BYTES, CACHE_ENTRY_BYTES)
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """The media ranges of an Accept header; malformed elements are skipped, not fatal."""
    if not header:
        return ()
    ranges: list[MediaRange] = []
    for element in header.split(","):
        parts = [p.strip() for p in element.split(";")]
        kind, slash, sub = parts[0].lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q: float | None = 1.0
        params = parts[1:]
        for i, param in enumerate(parts[1:]):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = _parse_q(value.strip())
                params = parts[1 : i + 1]  # after q come accept-extensions, not parameters
                break
        if q is None:
            continue
        ranges.append(MediaRange(kind, sub, q, _params(params)))
    return tuple(ranges)


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The q-value the client gives `media_type`: that of the most specific matching range."""
    best_specificity, best_q = -1, 0.0
    for r in ranges:
        s = r.specificity(media_type)
        if s < 0:
            continue
        if s > best_specificity or (s == best_specificity and r.q > best_q):
            best_specificity, best_q = s, r.q
    return best_q


@memoize(CACHE_BYTES, CACHE_ENTRY_BYTES)
def _choose(header: str | None, offers: tuple[str, ...]) -> str | None:
    ranges = parse_accept(header)
    if not ranges:
        return offers[0] if offers else None
    best, best_q = None, 0.0
    for offer in offers:  # offers are in server preference order: ties keep the earlier one
        q = quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best


def choose(header: str | None, offers: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None when it accepts none of them.

    A missing or empty (or wholly malformed) Accept header accepts anything, so the first
    offer, the server's default, wins.
    """
    return _choose(header, tuple(offers))


def choose_or_refuse(
    header: str | None,
    offers: Sequence[str],
    vary: str = "Accept",
    shown: Sequence[str] | None = None,
) -> str:
    """As `choose`, but a client that accepts none of the offers gets HttpError 406 naming
    what is offered (`shown`, default the offers), with ``Vary: <vary>``."""
    chosen = _choose(header, tuple(offers))
    if chosen is None:
        listed = ", ".join(shown if shown is not None else offers)
        raise HttpError(
            406,
            f"none of the acceptable media types is offered; offered: {listed}",
            {"Vary": vary},
        )
    return chosen


class AcceptLimit:
    """ASGI middleware: 400 to a request whose Accept headers are longer than `max_bytes`.

    Why refuse rather than parse: browsers send a few hundred bytes, and nothing longer
    than a few kilobytes is a real preference list; refusing it up front keeps every
    negotiation (pages, SPARQL, error pages) cheap whatever the header holds.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = sum(len(v) for n, v in scope["headers"] if n.lower() == b"accept")
            if length > self.max_bytes:
                body = (
                    f"the Accept header is longer than {self.max_bytes} bytes "
                    f"(got {length}); list fewer media types\n"
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
