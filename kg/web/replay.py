"""Answer a repeated SPARQL GET with the bytes the whole app sent for it the first time.

Why: for a cheap query asked again (a client polling, a page embedding a query link), the
twelve middleware layers and the router cost several times the lookup of the answer itself.
This middleware sits outside all of them. A request goes through the whole app the first
two times; the second time, if the route marked the answer as replayable (a deterministic
query's 200, not a page), the status, headers and body it sent are kept, and the same request
from then on gets those bytes directly. (Keeping only from the second time means a stream of
distinct queries costs no copies.)

What "the same request" means is strict, so a replay can never differ from what the app would
send: the same query string, Host, Accept, Accept-Encoding and Accept-Language, a GET without a
body, and no header outside ``PASSIVE_HEADERS`` (anything else, such as a conditional or a
cookie, goes through the app). The rate limit of /sparql still applies: a replay takes a token
from the same buckets as kg.web.limits.SparqlRateLimit, and a client over its rate goes
through the app to get its 429. The answers are kept in a kg.cache.ByteCache, so memory is
bounded whatever clients send.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.cache import ByteCache
from kg.web.limits import RATE_WAIT_KEY, TokenBuckets

#: The scope key of the set a route marks to say its answer may be replayed (a set, shared
#: by reference: middlewares inside may hand the route a copy of the scope).
REPLAYABLE_KEY = "kg.replayable"
#: Bytes of answers kept, and the largest one kept.
REPLAY_BYTES = 16 * 1024 * 1024
REPLAY_ENTRY_BYTES = 256 * 1024
#: Request headers that do not change the answer (besides those in the key).
PASSIVE_HEADERS = frozenset(
    {
        b"user-agent",
        b"connection",
        b"referer",
        b"origin",
        b"dnt",
        b"cache-control",
        b"pragma",
        b"priority",
        b"upgrade-insecure-requests",
        b"sec-fetch-site",
        b"sec-fetch-mode",
        b"sec-fetch-dest",
        b"sec-fetch-user",
        b"sec-ch-ua",
        b"sec-ch-ua-mobile",
        b"sec-ch-ua-platform",
    }
)
_KEYED = (b"host", b"accept", b"accept-encoding", b"accept-language")

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class SparqlReplay:
    """ASGI middleware: replays kept answers of GET `path` (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets | None,
        path: str = "/sparql",
        max_bytes: int = REPLAY_BYTES,
    ) -> None:
        self.app = app
        self.path = path
        self.buckets = buckets
        self.answers: ByteCache[tuple[bytes, ...], Answer] = ByteCache(
            max_bytes, REPLAY_ENTRY_BYTES, size=_answer_size
        )
        # requests seen once: an answer is kept the second time, so a stream of distinct
        # queries costs no copies and evicts nothing
        self.seen: ByteCache[tuple[bytes, ...], bool] = ByteCache(
            max_bytes // 16, REPLAY_ENTRY_BYTES, size=lambda key, _: _key_size(key)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        answer = self.answers.get(key)
        if answer is not None:
            if self.buckets is not None:
                client = scope.get("client")
                wait = self.buckets.take(client[0] if client else "")
                if wait > 0:  # the app answers 429, without taking a second token
                    scope[RATE_WAIT_KEY] = wait
                    await self.app(scope, receive, send)
                    return
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if key in self.seen:
            await self._record(key, scope, receive, send)
        else:
            self.seen.put(key, True)
            await self.app(scope, receive, send)

    def _key(self, scope: Scope) -> tuple[bytes, ...] | None:
        """The request's key, or None when it must go through the app."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            return None
        keyed: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _KEYED:
                if name in keyed:  # a repeated header: let the app decide what it means
                    return None
                keyed[name] = value
            elif name not in PASSIVE_HEADERS:
                return None
        return (scope["query_string"], *(keyed.get(n, b"") for n in _KEYED))

    async def _record(
        self, key: tuple[bytes, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        size = 0

        async def keep(message: Message) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and size <= REPLAY_ENTRY_BYTES:
                body = message.get("body", b"")
                chunks.append(body)
                size += len(body)
            await send(message)

        marks: set[str] = set()
        scope[REPLAYABLE_KEY] = marks
        await self.app(scope, receive, keep)
        if marks and start.get("status") == 200 and size <= REPLAY_ENTRY_BYTES:
            headers = [(bytes(n), bytes(v)) for n, v in start.get("headers", [])]
            self.answers.put(key, (200, headers, b"".join(chunks)))


def mark_replayable(scope: Scope) -> None:
    """Say that the answer being sent for this request may be replayed as it is."""
    marks = scope.get(REPLAYABLE_KEY)
    if marks is not None:
        marks.add("yes")


def _key_size(key: tuple[bytes, ...]) -> int:
    return 64 + sum(len(part) + 40 for part in key)


def _answer_size(key: tuple[bytes, ...], answer: Answer) -> int:
    _, headers, body = answer
    return _key_size(key) + len(body) + sum(len(n) + len(v) + 80 for n, v in headers) + 120
