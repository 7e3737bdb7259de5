"""Answer a repeated SPARQL GET with the bytes the whole app sent for it the first time.

Why: for a cheap query asked again (a client polling, a page embedding a query link), the
twelve middleware layers and the router cost several times the lookup of the answer itself.
This middleware sits outside all of them. A request goes through the whole app the first
two times; the second time, if the route marked the answer as replayable (a deterministic
query's 200, not a page), the status, headers and body it sent are kept, and the same request
from then on gets those bytes directly. (Keeping only from the second time means a stream of
distinct queries costs no copies.) Every answer also leaves its head, all but the length, as a
Template for its kind of request; a bounded query (kg.query.bounded) never asked before is then
answered in that head by `answer_now`, without the app. kg.web.protocol calls both paths
before uvicorn builds a request cycle; this middleware is the same thing for the requests
that reach the app.

What "the same request" means is strict, so a replay can never differ from what the app would
send: the same query string, Host, Accept, Accept-Encoding and Accept-Language, a GET without a
body, and no header outside ``PASSIVE_HEADERS`` (anything else, such as a conditional or a
cookie, goes through the app). The rate limit of /sparql still applies: a replay takes a token
from the same buckets as kg.web.limits.SparqlRateLimit, and a client over its rate goes
through the app to get its 429. The answers are kept in a kg.cache.ByteCache, so memory is
bounded whatever clients send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.cache import ByteCache
from kg.query.bounded import bounded_form
from kg.query.store import Formats, QueryResult
from kg.web.forms import unquote_plus
from kg.web.limits import TokenBuckets

#: The scope key of the set a route marks to say its answer may be replayed (a set, shared
#: by reference: middlewares inside may hand the route a copy of the scope).
REPLAYABLE_KEY = "kg.replayable"
#: Bytes of answers kept, and the largest one kept.
REPLAY_BYTES = 8 * 1024 * 1024
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
#: Bodies from this size on may be compressed by the app (its GZip layer's minimum size).
GZIP_MINIMUM = 1024


@dataclass(frozen=True)
class Template:
    """The head the app sent for a query's answer, all but its length: the same for every
    other answer of that form to a request with the same keyed headers, as long as the body
    is not compressed (under GZIP_MINIMUM, or "gzip" not accepted): nothing else in the head
    depends on the query."""

    formats: Formats
    media_type: str
    headers: tuple[tuple[bytes, bytes], ...]
    length_at: int


#: This process's replay (one app per serving process): kg.web.protocol answers from it
#: before uvicorn builds a request cycle at all.
ACTIVE: SparqlReplay | None = None


def key_of(query_string: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[bytes, ...] | None:
    """A GET's key (its query string and the headers that shape the answer), or None when
    a header outside PASSIVE_HEADERS, or a repeated keyed one, makes it the app's to answer."""
    keyed: dict[bytes, bytes] = {}
    for name, value in headers:
        if name in _KEYED:
            if name in keyed:
                return None
            keyed[name] = value
        elif name not in PASSIVE_HEADERS:
            return None
    return (query_string, *(keyed.get(n, b"") for n in _KEYED))


class SparqlReplay:
    """ASGI middleware: replays kept answers of GET `path` (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets | None,
        path: str = "/sparql",
        max_bytes: int = REPLAY_BYTES,
        answer_bounded: Callable[[str, Formats], QueryResult | None] | None = None,
    ) -> None:
        self.app = app
        self.path = path
        self.raw_path = path.encode("ascii")
        self.buckets = buckets
        self.answers: ByteCache[tuple[bytes, ...], Answer] = ByteCache(
            max_bytes, REPLAY_ENTRY_BYTES, size=_answer_size
        )
        # requests seen once: an answer is kept the second time, so a stream of distinct
        # queries costs no copies and evicts nothing
        self.seen: ByteCache[tuple[bytes, ...], bool] = ByteCache(
            max_bytes // 16, REPLAY_ENTRY_BYTES, size=lambda key, _: _key_size(key)
        )
        # heads of bounded answers, by keyed headers and query form (a few per client kind)
        self.templates: ByteCache[tuple[Any, ...], Template] = ByteCache(max_bytes // 16)
        self.answer_bounded = answer_bounded
        global ACTIVE
        ACTIVE = self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        answer = self.answers.get(key)
        if answer is not None:
            wait = self.buckets.wait_of(scope) if self.buckets is not None else 0.0
            if wait > 0:  # the app answers 429, without taking a second token
                await self.app(scope, receive, send)
                return
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        keep = key in self.seen
        if not keep:
            self.seen.put(key, True)
        await self._record(key, scope, receive, send, keep)

    def _key(self, scope: Scope) -> tuple[bytes, ...] | None:
        """The request's key, or None when it must go through the app."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            return None
        return key_of(scope["query_string"], scope["headers"])

    async def _record(
        self, key: tuple[bytes, ...], scope: Scope, receive: Receive, send: Send, keep: bool
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        size = 0

        async def collect(message: Message) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and size <= REPLAY_ENTRY_BYTES:
                body = message.get("body", b"")
                chunks.append(body)
                size += len(body)
            await send(message)

        marks: dict[str, Any] = {}
        scope[REPLAYABLE_KEY] = marks
        await self.app(scope, receive, collect)
        if not marks or start.get("status") != 200 or size > REPLAY_ENTRY_BYTES:
            return
        headers = [(bytes(n), bytes(v)) for n, v in start.get("headers", [])]
        if keep:
            self.answers.put(key, (200, headers, b"".join(chunks)))
        names = [n.lower() for n, _ in headers]
        if (
            (size < GZIP_MINIMUM or not _may_compress(key))
            and b"content-encoding" not in names
            and names.count(b"content-length") == 1
        ):
            at = names.index(b"content-length")
            rest = tuple(headers[:at] + headers[at + 1 :])
            template = Template(marks["formats"], marks["media_type"], rest, at)
            self.templates.put((*key[1:], marks["form"]), template)

    def answer_now(self, key: tuple[bytes, ...]) -> Answer | None:
        """The answer to a bounded query never asked before, made here with the head the app
        sent for the same kind of request (Template), or None for the app to answer."""
        query_string = key[0]
        if self.answer_bounded is None or not query_string.startswith(b"query="):
            return None
        if b"&" in query_string:
            return None
        try:
            text = unquote_plus(query_string[6:].decode("ascii"))
        except UnicodeError:
            return None
        form = bounded_form(text)
        template = self.templates.get((*key[1:], form)) if form is not None else None
        if template is None:
            return None
        result = self.answer_bounded(text, template.formats)
        if result is None or result.media_type != template.media_type:
            return None
        if len(result.body) >= GZIP_MINIMUM and _may_compress(key):
            return None
        headers = list(template.headers)
        headers.insert(template.length_at, (b"content-length", b"%d" % len(result.body)))
        answer = (200, headers, result.body)
        if key in self.seen:  # asked before: kept, as the app's answer would be
            self.answers.put(key, answer)
        else:
            self.seen.put(key, True)
        return answer


def mark_replayable(scope: Scope, result: QueryResult, formats: Formats) -> None:
    """Say that the answer being sent for this request may be replayed as it is; it also
    lends its head to answers of bounded queries of the same form (Template)."""
    marks = scope.get(REPLAYABLE_KEY)
    if marks is not None:
        marks["media_type"] = result.media_type
        marks["formats"] = formats
        marks["form"] = result.form.value


def _may_compress(key: tuple[bytes, ...]) -> bool:
    """Whether the app's GZip layer would compress a large answer to this request (it looks
    for "gzip" in Accept-Encoding)."""
    return b"gzip" in key[1 + _KEYED.index(b"accept-encoding")]


def _key_size(key: tuple[bytes, ...]) -> int:
    return 64 + sum(len(part) + 40 for part in key)


def _answer_size(key: tuple[bytes, ...], answer: Answer) -> int:
    _, headers, body = answer
    return _key_size(key) + len(body) + sum(len(n) + len(v) + 80 for n, v in headers) + 120
